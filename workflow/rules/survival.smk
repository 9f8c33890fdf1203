# Rules for the survival analysis (issue tracker: growth #3, efficacy #4, survival #5).
