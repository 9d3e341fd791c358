"""The figures overseers watch (DESIGN.md section 6): per-case facts kept with every event, the
one definition of each figure, and the pages that show them."""
