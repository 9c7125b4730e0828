"""The floor of the public-pages benchmark: a bare Django project serving the same queries.

See `benchmarks/public_pages.py`. Nothing here imports tinhso: this is what Django alone
costs for the same database work and a page of similar size.
"""
