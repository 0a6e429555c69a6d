"""`guard simulate`: a Double 11 in ten minutes, replayed against a running guard."""
