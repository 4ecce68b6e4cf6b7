"""Open311 GeoReport v2 (issue «Channels», DESIGN §5): existing Open311 apps and city
portals file reports into the desk and follow them. See docs/open311.md."""
