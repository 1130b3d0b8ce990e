use super::super::library::{SOURCES_FOR_TESTS, check, library, load};
use super::inst;
use crate::Error;
use crate::measures::instrument::{Instrument, LicenceStatus};

#[test]
fn every_embedded_instrument_loads_and_passes_its_invariants() {
    let lib = library().unwrap();
    assert_eq!(lib.len(), SOURCES_FOR_TESTS.len());
    for i in lib.iter() {
        assert_eq!(check(i), Vec::<String>::new(), "{}", i.id);
    }
}

#[test]
fn library_lists_the_instruments_the_practice_can_assign() {
    let ids: Vec<&str> = library().unwrap().iter().map(|i| i.id.as_str()).collect();
    for id in [
        "phq9",
        "phqa",
        "gad7",
        "pcl5",
        "audit",
        "auditc",
        "dast10",
        "cssrs_screener",
        "k10",
        "wai_sr",
        "core10",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
}

#[test]
fn unknown_instrument_is_not_found() {
    assert!(matches!(
        crate::measures::instrument("orsx"),
        Err(Error::NotFound)
    ));
}

#[test]
fn every_instrument_names_its_sources_and_licence() {
    for i in library().unwrap().iter() {
        assert!(!i.citation.is_empty(), "{}", i.id);
        assert!(
            !i.licence.terms.is_empty() && !i.licence.source.is_empty(),
            "{}",
            i.id
        );
        assert!(
            !i.scoring.source.is_empty() && !i.missing.source.is_empty(),
            "{}",
            i.id
        );
        for c in &i.critical_items {
            assert!(
                !c.reason.is_empty() && !c.source.is_empty(),
                "{} {}",
                i.id,
                c.item
            );
        }
    }
}

#[test]
fn screener_whose_electronic_use_is_licensed_is_flagged_for_review() {
    assert_eq!(
        inst("cssrs_screener").licence.status,
        LicenceStatus::NeedsReview
    );
    assert_eq!(inst("phq9").licence.status, LicenceStatus::Free);
}

#[test]
fn published_loinc_codes_are_carried() {
    assert_eq!(inst("phq9").loinc.panel.as_deref(), Some("44249-1"));
    assert_eq!(inst("phq9").loinc.total.as_deref(), Some("44261-6"));
    assert_eq!(inst("gad7").loinc.panel.as_deref(), Some("69737-5"));
    assert_eq!(inst("gad7").loinc.total.as_deref(), Some("70274-6"));
    assert_eq!(inst("auditc").loinc.total.as_deref(), Some("75626-2"));
    assert_eq!(inst("phqa").loinc.total.as_deref(), Some("89204-2"));
    assert_eq!(
        inst("phq9").loinc.items.get("9").map(String::as_str),
        Some("44260-8")
    );
    assert_eq!(inst("audit").loinc.items.len(), 10);
    assert!(
        inst("k10").loinc.total.is_none(),
        "no K10 code was confirmed"
    );
}

#[test]
fn every_loinc_code_in_the_library_is_well_formed_with_its_check_digit() {
    let mut n = 0;
    for i in library().unwrap().iter() {
        let l = &i.loinc;
        for code in l.panel.iter().chain(l.total.iter()).chain(l.items.values()) {
            assert!(crate::measures::loinc::is_valid(code), "{} {code}", i.id);
            n += 1;
        }
    }
    assert!(n >= 40, "only {n} codes checked");
}

#[test]
fn a_mistyped_loinc_code_is_rejected_by_the_loader() {
    let p = phq9_variant(|i| i.loinc.total = Some("44261-9".into()));
    assert!(p.iter().any(|m| m.contains("44261-9")), "{p:?}");
}

#[test]
fn a_loinc_code_for_an_unknown_item_is_rejected() {
    let p = phq9_variant(|i| {
        i.loinc.items.insert("99".into(), "44250-9".into());
    });
    assert!(p.iter().any(|m| m.contains("unknown item 99")), "{p:?}");
}

fn phq9_variant(edit: impl FnOnce(&mut Instrument)) -> Vec<String> {
    let mut i = inst("phq9").clone();
    edit(&mut i);
    check(&i)
}

#[test]
fn a_summed_instrument_that_does_not_say_which_direction_is_better_is_rejected() {
    let p = phq9_variant(|i| i.change = None);
    assert!(p.iter().any(|m| m.contains("higher_is_better")), "{p:?}");
}

#[test]
fn a_gap_between_bands_is_rejected() {
    let p = phq9_variant(|i| i.bands[1].high = 8);
    assert!(p.iter().any(|m| m.contains("gap or overlap")), "{p:?}");
}

#[test]
fn overlapping_bands_are_rejected() {
    let p = phq9_variant(|i| i.bands[1].high = 10);
    assert!(p.iter().any(|m| m.contains("gap or overlap")), "{p:?}");
}

#[test]
fn bands_that_stop_short_of_the_maximum_are_rejected() {
    let p = phq9_variant(|i| i.bands.pop().map(|_| ()).unwrap_or(()));
    assert!(p.iter().any(|m| m.contains("highest score is 27")), "{p:?}");
}

#[test]
fn a_critical_rule_on_an_unknown_item_is_rejected() {
    let p = phq9_variant(|i| i.critical_items[0].item = "99".into());
    assert!(p.iter().any(|m| m.contains("critical item 99")), "{p:?}");
}

#[test]
fn duplicate_item_ids_are_rejected() {
    let p = phq9_variant(|i| i.items[1].id = "1".into());
    assert!(p.iter().any(|m| m.contains("used twice")), "{p:?}");
}

#[test]
fn an_option_outside_the_declared_range_is_rejected() {
    let p = phq9_variant(|i| i.items[0].max = Some(2));
    assert!(p.iter().any(|m| m.contains("outside 0..=2")), "{p:?}");
}

#[test]
fn a_broken_file_is_reported_with_its_name() {
    let err = load(&[("broken.json", "{ \"id\": ")]).unwrap_err();
    assert!(err.contains("broken.json"), "{err}");
}

#[test]
fn a_misspelt_field_is_rejected_rather_than_ignored() {
    let text = include_str!("../../../instruments/phq9.json")
        .replace("\"critical_items\"", "\"critical_itmes\"");
    let err = load(&[("phq9.json", &text)]).unwrap_err();
    assert!(err.contains("critical_itmes"), "{err}");
}

#[test]
fn the_same_instrument_twice_is_rejected() {
    let text = include_str!("../../../instruments/gad7.json");
    let err = load(&[("a.json", text), ("b.json", text)]).unwrap_err();
    assert!(err.contains("used twice"), "{err}");
}
