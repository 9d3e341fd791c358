"""Masking personal data."""

from portal.privacy import mask_phone, mask_room


def test_mobile_number_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_short_or_missing_values_reveal_little():
    assert mask_phone("") == ""
    assert mask_phone(None) == ""
    assert mask_phone("12345") == "***45"


def test_room_keeps_the_building_part():
    assert mask_room("1-502") == "1-5**"
    assert mask_room("") == ""
