from tongban.identity.masking import mask_id_number, mask_name, mask_phone


def test_it_masks_a_resident_id_keeping_three_and_four() -> None:
    assert mask_id_number("310101198503120313") == "310***********0313"


def test_it_masks_a_phone_number() -> None:
    assert mask_phone("13800001234") == "138****1234"


def test_it_masks_short_values_entirely() -> None:
    assert mask_id_number("12345") == "*****"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""


def test_it_masks_a_name_but_keeps_the_family_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明月") == "欧**月"
    assert mask_name("李") == "李"
