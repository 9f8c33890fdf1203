# Rules for the growth analysis (issue tracker: growth #3, efficacy #4, survival #5).
