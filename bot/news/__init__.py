"""News logic, all pure: Arabic normalisation, urgency, topics, classification, dedup decisions.

* :mod:`.text` — display-text hygiene used by every parser;
* :mod:`.arabic` — folding for matching (never for display);
* :mod:`.urgency` — flash/urgent/normal and marker stripping;
* :mod:`.topics`, :mod:`.classify` — keyword rules and the classified item;
* :mod:`.places` — the small gazetteer dedup uses;
* :mod:`.dedup` — canonical URLs, title keys, similarity and the new/seen/update/duplicate decision.
"""
