"""Pure geodata functions for Stadtspur: measuring, GPX import/export, stop ordering, photo GPS
and tile maths.

Nothing here knows about Flask or the database: every function takes plain Python values and
Shapely 2 geometries. Coordinates are always ``(lon, lat)`` in degrees (WGS84), distances and
elevations in metres.
"""
