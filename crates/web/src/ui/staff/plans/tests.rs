//! The plan editor's form parsing: the tree rebuilt from flat fields, ids kept from hidden inputs, numbers named.

use super::*;

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn the_form_rebuilds_the_tree_and_drops_empty_slots() {
    let c = parse_tree(&pairs(&[
        ("p0.statement", "Anger"),
        ("p0.g0.statement", "Calm"),
        ("p0.g0.o0.statement", "Fewer outbursts"),
        ("p0.g0.o0.measure", "per week"),
        ("p0.g0.o0.baseline", "6"),
        ("p0.g0.o0.target", "1,5"),
        ("p0.g0.o0.status", "in_progress"),
        ("p0.g0.o0.i0.modality", "CBT"),
        ("p0.g0.o0.i0.frequency", "weekly"),
        ("p0.g0.o0.i1.modality", ""),
        ("p0.g0.o0.i1.frequency", ""),
        ("p0.g0.o1.statement", ""),
        ("p0.g0.o1.status", "not_started"),
        ("p0.g1.statement", ""),
        ("p1.statement", ""),
    ]))
    .unwrap();
    assert_eq!(c.problems.len(), 1);
    let o = &c.problems[0].goals[0].objectives;
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].target, Some(1.5));
    assert_eq!(o[0].status, ObjectiveStatus::InProgress);
    assert_eq!(o[0].interventions.len(), 1);
}

#[test]
fn ids_come_back_from_hidden_inputs_and_do_not_keep_a_cleared_element() {
    let c = parse_tree(&pairs(&[
        ("p0.id", "p1"),
        ("p0.statement", "Anger"),
        ("p0.g0.id", "p1.g1"),
        ("p0.g0.statement", "Calm"),
        ("p0.g0.o0.id", "p1.g1.o2"),
        ("p0.g0.o0.statement", "Fewer outbursts"),
        ("p0.g0.o0.target", "1"),
        ("p0.g0.o1.id", "p1.g1.o1"),
        ("p0.g0.o1.statement", ""),
        ("p0.g0.o1.measure", ""),
        ("p0.g0.o1.instrument", "phq9"),
        ("p0.g0.o1.current", "12"),
        ("p0.g0.o1.status", "not_started"),
        ("p0.g0.o2.id", ""),
        ("p0.g0.o2.statement", "New one"),
        ("p0.g0.o2.target", "0"),
    ]))
    .unwrap();
    assert_eq!(c.problems[0].id, "p1");
    assert_eq!(c.problems[0].goals[0].id, "p1.g1");
    let ids: Vec<&str> = c.problems[0].goals[0]
        .objectives
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["p1.g1.o2", ""], "the cleared objective is removed");
}

#[test]
fn a_number_that_is_not_one_is_named() {
    let Err(Error::Validation(e)) = parse_tree(&pairs(&[
        ("p0.statement", "x"),
        ("p0.g0.statement", "y"),
        ("p0.g0.o0.target", "ten"),
    ])) else {
        panic!("expected a validation error")
    };
    assert_eq!(e[0].field, "problems[0].goals[0].objectives[0].target");
}
