"""Physical half-lives of therapeutic radionuclides: the study file's ``agents/<agent>/isotope``
(read by :mod:`xenoflow.config`, used by :mod:`xenoflow.regimen`). Imports nothing of the
package, so the study model and the regimens depend on it, not on each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Isotope:
    half_life_days: float
    source: str


_LNHB = "LNHB/DDEP recommended data (www.lnhb.fr/nuclear-data); NNDC NuDat 3"
#: Physical half-lives of common therapeutic radionuclides (days).
#: I-131 8.02 d (CIS bio sodium iodide (131I) SmPC: "8.02 days"; DDEP 8.0233 d);
#: Lu-177 6.647 d; Y-90 64.05 h = 2.67 d; Ac-225 9.92 d; Ra-223 11.43 d; Sm-153 46.28 h;
#: Sr-89 50.56 d; I-125 59.39 d; Re-188 17.0 h; Cu-67 61.83 h; At-211 7.214 h;
#: Pb-212 10.64 h; Th-227 18.7 d (all from the LNHB/DDEP tables and NNDC NuDat 3).
ISOTOPES: dict[str, Isotope] = {
    "I-131": Isotope(8.02, "CIS bio sodium iodide (131I) SmPC; " + _LNHB),
    "Lu-177": Isotope(6.647, _LNHB),
    "Y-90": Isotope(2.6685, _LNHB),
    "Ac-225": Isotope(9.92, _LNHB),
    "Ra-223": Isotope(11.43, _LNHB),
    "Sm-153": Isotope(1.9285, _LNHB),
    "Sr-89": Isotope(50.56, _LNHB),
    "I-125": Isotope(59.39, _LNHB),
    "Re-188": Isotope(0.7085, _LNHB),
    "Cu-67": Isotope(2.576, _LNHB),
    "At-211": Isotope(0.3006, _LNHB),
    "Pb-212": Isotope(0.4433, _LNHB),
    "Th-227": Isotope(18.7, _LNHB),
}
