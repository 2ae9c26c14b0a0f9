"""Reading text: raw news items to article fields, language, the people, places,
organisations and outlets named, the gazetteer, near-duplicate signatures. Imports
nothing else of api."""
