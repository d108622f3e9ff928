"""The campaign: targets, teams, assignments, visits, figures, the committee's dashboard and reports."""
