"""The typed objects of a ruleset (`sections`), the types of the expression language, the
column contract of a plan and the reading of dates: the lowest layer, importing nothing else."""
