# Rules for the efficacy analysis (issue tracker: growth #3, efficacy #4, survival #5).
