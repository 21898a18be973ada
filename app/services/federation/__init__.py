"""Federation over ActivityPub: the city, theme and tour actors, stories as Notes, signed
deliveries to followers and the shared inbox. Slow work (inbox processing, deliveries) is
done by jobs (app/services/federation/tasks.py)."""
