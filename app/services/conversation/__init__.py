"""The conversation around stories and places: replies, reactions, place talk, and the
rules and moderation that keep it civil."""
