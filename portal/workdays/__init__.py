"""The Chinese working calendar: which days count when a deadline is given in working days.

Public holidays are off and the adjusted working days (调休, a Saturday or Sunday worked in
exchange) are on. A year's calendar comes from the `holidays` package while that knows the
State Council's schedule for it; an administrator can import a year the package does not know
yet, or correct a day, and from then on that year is kept here, in the database. A year that
nobody knows is counted in calendar days, and the case page says so (DESIGN.md section 3).
"""
