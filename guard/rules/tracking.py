"""Tracking numbers are identities: the number on the parcel must be its own, and only its own.

A number two live parcels of one store share (not declared one shipment) would
let the dock scan pass the wrong parcel; a carrier label in escrow whose number
is not the recorded one would ship a parcel the platform never heard of. The
services work out both (`tracking_claim`, `carrier_label`); the rule judges them.
"""

from guard.facts import Facts


def tracking(facts: Facts) -> list[str]:
    codes = []
    claim = facts.get("tracking_claim")
    if claim is not None and claim.status == "conflict":
        codes.append("TRACKING_CONFLICT")
    label = facts.get("carrier_label")
    if label is not None and label.status == "mismatch":
        codes.append("TRACKING_MISMATCH")
    return codes
