"""The input layer: what web/ and api/ accept from a request, checked before a service sees it.

Marshmallow schemas (one per input, shared by a page and the API where they take the same
fields) turn forms and JSON into the typed inputs the services define; ``request_guard``
refuses, for every request, text PostgreSQL cannot store, JSON nested too deeply and numbers
in paths beyond what the database holds.
"""
