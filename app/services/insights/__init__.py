"""Usage figures without tracking anyone: daily counters (counting), what curators read of
them (figures), goals and reviews (reviews), the figures residents may download (open_data).

Nothing here knows a person: a count is a day, an offering, a stop, a metric and a source.
"""
