//! `VecMap` and `VecSet` against `BTreeMap` and `BTreeSet`: the same operations, in any
//! order, give the same answers and leave the same contents in the same order.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use peerchat_ids::{VecMap, VecSet};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u16),
    Remove(u8),
    Get(u8),
    AddTo(u8, u16),
    Take(u8),
    Range(Bound<u8>, Bound<u8>),
    Retain(u8),
    PopFirst,
    PopLast,
}

fn op() -> impl Strategy<Value = Op> {
    let bound = prop_oneof![
        (0u8..45).prop_map(Bound::Included),
        (0u8..45).prop_map(Bound::Excluded),
        Just(Bound::Unbounded)
    ];
    prop_oneof![
        (0u8..40, any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
        (0u8..40).prop_map(Op::Remove),
        (0u8..40).prop_map(Op::Get),
        (0u8..40, any::<u16>()).prop_map(|(k, v)| Op::AddTo(k, v)),
        (0u8..40).prop_map(Op::Take),
        (bound.clone(), bound).prop_map(|(a, b)| Op::Range(a, b)),
        (1u8..5).prop_map(Op::Retain),
        Just(Op::PopFirst),
        Just(Op::PopLast),
    ]
}

/// A range `BTreeMap` takes: it panics on a start after the end (or both excluded and
/// equal), which `VecMap` answers with nothing instead.
fn btree_takes(a: Bound<u8>, b: Bound<u8>) -> bool {
    match (a, b) {
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y))
            if x > y =>
        {
            false
        }
        (Bound::Excluded(x), Bound::Excluded(y)) if x == y => false,
        _ => true,
    }
}

proptest! {
    #[test]
    fn a_vec_map_answers_as_a_btree_map(ops in proptest::collection::vec(op(), 0..300)) {
        let mut ours: VecMap<u8, u16> = VecMap::new();
        let mut model: BTreeMap<u8, u16> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => prop_assert_eq!(ours.insert(k, v), model.insert(k, v)),
                Op::Remove(k) => prop_assert_eq!(ours.remove(&k), model.remove(&k)),
                Op::Get(k) => {
                    prop_assert_eq!(ours.get(&k), model.get(&k));
                    prop_assert_eq!(ours.contains_key(&k), model.contains_key(&k));
                }
                Op::AddTo(k, v) => {
                    let a = *ours.entry(k).and_modify(|x| *x = x.wrapping_add(v)).or_insert(v);
                    let b = *model.entry(k).and_modify(|x| *x = x.wrapping_add(v)).or_insert(v);
                    prop_assert_eq!(a, b);
                }
                Op::Take(k) => {
                    let a = match ours.entry(k) {
                        peerchat_ids::vec_map::Entry::Occupied(o) => Some(o.remove()),
                        peerchat_ids::vec_map::Entry::Vacant(_) => None,
                    };
                    let b = match model.entry(k) {
                        std::collections::btree_map::Entry::Occupied(o) => Some(o.remove()),
                        std::collections::btree_map::Entry::Vacant(_) => None,
                    };
                    prop_assert_eq!(a, b);
                }
                Op::Range(a, b) => {
                    let got: Vec<_> = ours.range((a, b)).collect();
                    if btree_takes(a, b) {
                        prop_assert_eq!(got, model.range((a, b)).collect::<Vec<_>>());
                    } else {
                        prop_assert!(got.is_empty());
                    }
                }
                Op::Retain(m) => {
                    ours.retain(|k, _| k % m != 0);
                    model.retain(|k, _| k % m != 0);
                }
                Op::PopFirst => prop_assert_eq!(ours.pop_first(), model.pop_first()),
                Op::PopLast => prop_assert_eq!(ours.pop_last(), model.pop_last()),
            }
            prop_assert_eq!(ours.len(), model.len());
            prop_assert_eq!(ours.first_key_value(), model.first_key_value());
        }
        prop_assert_eq!(ours.iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        prop_assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&model).unwrap());
    }

    #[test]
    fn a_vec_set_answers_as_a_btree_set(ops in proptest::collection::vec((any::<bool>(), 0u8..30), 0..200)) {
        let mut ours: VecSet<u8> = VecSet::new();
        let mut model: BTreeSet<u8> = BTreeSet::new();
        for (add, v) in ops {
            if add {
                prop_assert_eq!(ours.insert(v), model.insert(v));
            } else {
                prop_assert_eq!(ours.remove(&v), model.remove(&v));
            }
            prop_assert_eq!(ours.contains(&v), model.contains(&v));
        }
        prop_assert_eq!(ours.iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        let json = serde_json::to_string(&ours).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&model).unwrap());
        prop_assert_eq!(serde_json::from_str::<VecSet<u8>>(&json).unwrap(), ours);
    }

    /// Read from JSON with keys in any order and repeated: the later value of a key
    /// stays, as in a `BTreeMap`.
    #[test]
    fn a_vec_map_reads_what_a_btree_map_reads(entries in proptest::collection::vec((0u8..20, any::<u16>()), 0..60)) {
        let json = format!("{{{}}}", entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","));
        let ours: VecMap<u8, u16> = serde_json::from_str(&json).unwrap();
        let model: BTreeMap<u8, u16> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(ours.iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        let (a, b) = entries.split_at(entries.len() / 2);
        let mut ours: VecMap<u8, u16> = a.iter().copied().collect();
        let mut model: BTreeMap<u8, u16> = a.iter().copied().collect();
        ours.extend(b.iter().copied());
        model.extend(b.iter().copied());
        prop_assert_eq!(ours.iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        // One entry at a time (inserts, not sorts), as `Iterator::partition` adds them.
        let mut one_by_one: VecMap<u8, u16> = VecMap::new();
        for e in &entries {
            one_by_one.extend(Some(*e));
        }
        let model: BTreeMap<u8, u16> = entries.iter().copied().collect();
        prop_assert_eq!(one_by_one.iter().collect::<Vec<_>>(), model.iter().collect::<Vec<_>>());
        let (even, odd): (VecMap<u8, u16>, VecMap<u8, u16>) = entries.iter().copied().partition(|e| e.1 % 2 == 0);
        let (even_model, odd_model): (BTreeMap<u8, u16>, BTreeMap<u8, u16>) = entries.iter().copied().partition(|e| e.1 % 2 == 0);
        prop_assert_eq!(even.into_iter().collect::<Vec<_>>(), even_model.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(odd.into_iter().collect::<Vec<_>>(), odd_model.into_iter().collect::<Vec<_>>());
        let set: VecSet<u8> = entries.iter().rev().map(|e| e.0).collect();
        let model_set: BTreeSet<u8> = entries.iter().map(|e| e.0).collect();
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), model_set.iter().collect::<Vec<_>>());
        let collected: VecMap<u8, u16> = entries.iter().copied().collect();
        prop_assert_eq!(collected.into_iter().collect::<Vec<_>>(), entries.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect::<Vec<_>>());
    }
}
