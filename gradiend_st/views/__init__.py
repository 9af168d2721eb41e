"""One module per view; `registry` lists them (see base.View for what a view declares)."""
