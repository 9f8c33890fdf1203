"""Figures. :mod:`xenoflow.plots.style` holds what every figure shares (arm palette, saving)."""
