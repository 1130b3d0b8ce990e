//! ICD-10-CM codes for mental, behavioural and neurodevelopmental disorders (chapter 5, F01–F99).
//!
//! We check the shape of a code (category, then up to four characters after the dot), not its presence in the
//! yearly code table: the table changes every October and a clinician must be able to record a new code the day
//! it takes effect. Codes are normalised to upper case with the dot in place.

use crate::{Error, Result};

/// One ICD-10-CM code from chapter 5, e.g. `F32.1` or `F43.10`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Code(String);

impl Code {
    pub fn parse(field: &str, raw: &str) -> Result<Code> {
        let s = raw.trim().to_ascii_uppercase();
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "'{}' is not an ICD-10-CM code for a mental or behavioural disorder (F01–F99, such as F32.1)",
                    raw.trim()
                ),
            )
        };
        let (category, rest) = match s.split_once('.') {
            Some((c, r)) => (c.to_string(), Some(r.to_string())),
            // "F321" is how codes are often typed without the dot.
            None if s.len() > 3 => (s[..3].to_string(), Some(s[3..].to_string())),
            None => (s.clone(), None),
        };
        let mut chars = category.chars();
        let (Some('F'), Some(d1), Some(d2), None) =
            (chars.next(), chars.next(), chars.next(), chars.next())
        else {
            return Err(bad());
        };
        if !d1.is_ascii_digit() || !d2.is_ascii_digit() || (d1 == '0' && d2 == '0') {
            return Err(bad());
        }
        match rest {
            None => Ok(Code(category)),
            Some(r)
                if (1..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Ok(Code(format!("{category}.{r}")))
            }
            Some(_) => Err(bad()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a list typed as free text (commas, semicolons, spaces or new lines between codes), keeping the order and
/// dropping repeats.
pub fn parse_list(field: &str, raw: &str) -> Result<Vec<Code>> {
    let mut out: Vec<Code> = Vec::new();
    for part in raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let code = Code::parse(field, part)?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_chapter_five_codes() {
        assert_eq!(Code::parse("d", "f32.1").unwrap().as_str(), "F32.1");
        assert_eq!(Code::parse("d", "F4310").unwrap().as_str(), "F43.10");
        assert_eq!(Code::parse("d", "F99").unwrap().as_str(), "F99");
        assert_eq!(Code::parse("d", " F10.20 ").unwrap().as_str(), "F10.20");
    }

    #[test]
    fn refuses_codes_outside_chapter_five_or_malformed() {
        for bad in [
            "Z63.0",
            "F00",
            "F3",
            "F32.12345",
            "F3X.1",
            "32.1",
            "F32.",
            "F32-1",
        ] {
            assert!(Code::parse("d", bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_typed_list_keeps_order_and_drops_repeats() {
        let l = parse_list("d", "F32.1, f41.1;F32.1\nF43.10").unwrap();
        let s: Vec<&str> = l.iter().map(Code::as_str).collect();
        assert_eq!(s, ["F32.1", "F41.1", "F43.10"]);
    }

    #[test]
    fn an_error_names_the_field_and_the_code() {
        let Err(Error::Validation(e)) = parse_list("fields.diagnoses", "F32.1, Z00") else {
            panic!("expected a validation error")
        };
        assert_eq!(e[0].field, "fields.diagnoses");
        assert!(e[0].message.contains("Z00"));
    }
}
