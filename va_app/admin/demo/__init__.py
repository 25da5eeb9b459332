"""The demo tenant that ``make run`` seeds so a fresh machine shows a working product."""
