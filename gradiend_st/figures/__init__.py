"""Figure builders: one module per view, each `Options` + `build(data, options)`; `export` turns figures into bytes."""
