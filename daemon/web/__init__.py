"""`endnoted open`: the same truth and the same guided repair as a local page in the user's own browser."""
