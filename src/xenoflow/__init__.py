"""xenoflow: analysis of preclinical mouse xenograft studies.

Modules, one concern each: :mod:`xenoflow.config` (study files), :mod:`xenoflow.ingest`
(reading and validating measurements), :mod:`xenoflow.growth`, :mod:`xenoflow.efficacy`,
:mod:`xenoflow.survival`, :mod:`xenoflow.plots`, :mod:`xenoflow.report`.
"""

__version__ = "0.1.0"
