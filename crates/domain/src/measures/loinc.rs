//! LOINC codes as data: the shape of a code and its check digit.
//!
//! A LOINC code is a number of up to seven digits, a hyphen and a mod-10 check digit (LOINC Users' Guide,
//! "Calculating Mod 10 check digits"). Checking the digit catches a mistyped code in an instrument file before
//! it reaches another system, where a wrong but well-formed code would silently mean a different test.

/// The check digit of a LOINC code's number part (the digits before the hyphen), or `None` when the text is not
/// one to seven digits.
///
/// The published recipe: take the digits in odd positions counting from the right, read them as one number and
/// double it; append the digits in even positions; add up all the digits of the result; the check digit is what
/// brings that sum up to the next multiple of ten.
pub fn check_digit(number: &str) -> Option<u8> {
    if number.is_empty() || number.len() > 7 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u32> = number.bytes().map(|b| u32::from(b - b'0')).collect();
    // Positions counted from the right, the rightmost being position 1.
    let (mut odd, mut even) = (String::new(), String::new());
    for (i, d) in digits.iter().enumerate() {
        let position = digits.len() - i;
        let target = if position % 2 == 1 {
            &mut odd
        } else {
            &mut even
        };
        target.push(char::from_digit(*d, 10)?);
    }
    let doubled = odd.parse::<u64>().ok()? * 2;
    let sum: u32 = doubled
        .to_string()
        .chars()
        .chain(even.chars())
        .filter_map(|c| c.to_digit(10))
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// Whether `code` is a well-formed LOINC code whose check digit is right, e.g. `44261-6`.
pub fn is_valid(code: &str) -> bool {
    let Some((number, check)) = code.split_once('-') else {
        return false;
    };
    let mut check = check.bytes();
    match (check.next(), check.next()) {
        (Some(c), None) if c.is_ascii_digit() => check_digit(number) == Some(c - b'0'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_codes_have_the_right_check_digit() {
        // Codes read from loinc.org pages (PHQ-9 total and panel, GAD-7, AUDIT, DAST-10 and PHQ-9 Teen totals),
        // and 12345-5 worked by hand: the odd positions from the right read left to right are 135, doubled 270;
        // with the even positions 2 and 4 the digits sum to 2+7+0+2+4 = 15, so the check digit is 5.
        for code in [
            "44261-6", "44249-1", "70274-6", "75624-7", "82667-7", "89204-2", "12345-5",
        ] {
            assert!(is_valid(code), "{code}");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        assert!(!is_valid("44261-7"));
        assert!(!is_valid("70274-0"));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for code in [
            "",
            "44261",
            "44261-",
            "-6",
            "4426a-6",
            "44261-66",
            "12345678-9",
            " 44261-6",
            "44261–6",
        ] {
            assert!(!is_valid(code), "{code:?}");
        }
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_fits_every_number(n in 1u32..10_000_000) {
            let number = n.to_string();
            let right = check_digit(&number).unwrap();
            for d in 0..10u8 {
                prop_assert_eq!(is_valid(&format!("{number}-{d}")), d == right);
            }
        }

        #[test]
        fn the_check_digit_is_the_luhn_digit(n in 10u32..10_000_000) {
            // The recipe is the Luhn algorithm in another order of work: check against a plain Luhn sum.
            let number = n.to_string();
            let luhn: u32 = number
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 0 { let x = d * 2; x / 10 + x % 10 } else { d }
                })
                .sum();
            prop_assert_eq!(u32::from(check_digit(&number).unwrap()), (10 - luhn % 10) % 10);
        }
    }
}
