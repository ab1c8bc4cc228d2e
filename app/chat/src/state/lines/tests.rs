//! The line list: what a copy shares, repeats, keys.

use std::collections::HashSet;

use super::{Identity, LineKey, Lines, CHUNK};

#[derive(Debug, Clone, PartialEq)]
struct L {
    id: Option<u32>,
    text: &'static str,
}

impl Identity for L {
    type Id = u32;
    fn identity(&self) -> Option<u32> {
        self.id
    }
}

fn said(id: u32) -> L {
    L {
        id: Some(id),
        text: "said",
    }
}

const NOTICE: L = L {
    id: None,
    text: "joined",
};

#[test]
fn an_append_to_a_copy_leaves_every_other_line_where_it_was() {
    let before: Lines<L> = (0..1000).map(said).collect();
    let mut after = before.clone();
    assert!(after.shares(&before));
    assert!(after.push(said(1000)));
    assert!(!after.shares(&before));
    assert_eq!((before.len(), after.len()), (1000, 1001));
    assert!((0..1000).all(|i| after.same_line(i, &before, i)));
    // Only the last chunk and the chunk list were copied.
    let shared = (0..after.chunks.len())
        .filter(|&c| {
            before
                .chunks
                .get(c)
                .is_some_and(|b| std::rc::Rc::ptr_eq(b, &after.chunks[c]))
        })
        .count();
    assert_eq!(shared, 1000 / CHUNK);
}

#[test]
fn a_message_shows_once_and_notices_are_never_repeats() {
    let mut l = Lines::new();
    assert!(l.push(said(1)));
    assert!(!l.push(said(1)));
    assert!(l.push(NOTICE) && l.push(NOTICE));
    l.prepend([said(0), said(1), said(0), NOTICE, said(u32::MAX)]);
    let ids: Vec<Option<u32>> = l.iter().map(|x| x.id).collect();
    assert_eq!(ids, [Some(0), None, Some(u32::MAX), Some(1), None, None]);
    assert!(l.contains(&0) && l.contains(&1) && !l.contains(&2));
    assert!(!l.push(said(0)), "a line put in front counts too");
}

#[test]
fn keys_are_unique_in_list_order_and_stay_with_their_lines() {
    let mut l: Lines<L> = (0..100).map(said).collect();
    let key = l.key_at(10).unwrap();
    l.prepend((200..400).map(said));
    l.push(NOTICE);
    assert_eq!(l.position(key), 210);
    assert_eq!(l.get(210), Some(&said(10)));
    let keys: Vec<LineKey> = l.entries(0..l.len()).map(|(k, _)| k).collect();
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), l.len());
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    let some: Vec<u32> = l.entries(195..205).map(|(_, x)| x.id.unwrap()).collect();
    assert_eq!(some, [395, 396, 397, 398, 399, 0, 1, 2, 3, 4]);
    assert_eq!(l.position(LineKey(i64::MAX)), l.len());
    let last = l.key_at(l.len() - 1).unwrap();
    l.clear();
    assert!(l.is_empty());
    l.push(said(1));
    assert!(
        l.key_at(0).unwrap() > last,
        "no key comes back after a clear"
    );
}

#[test]
fn changing_a_line_makes_a_new_one_and_keeps_its_key() {
    let before: Lines<L> = (0..300).map(said).collect();
    let mut after = before.clone();
    assert!(after.update_newest(|x| x.id == Some(5), |x| x.text = "changed"));
    assert!(!after.update_newest(|x| x.id == Some(999), |x| x.text = "changed"));
    assert_eq!(after[5].text, "changed");
    assert_eq!(before[5].text, "said");
    assert_eq!(after.key_at(5), before.key_at(5));
    let same = (0..300).filter(|&i| after.same_line(i, &before, i)).count();
    assert_eq!(same, 299);
    assert_ne!(after, before);
    assert_eq!(after.last(), Some(&said(299)));
}

#[test]
fn lists_built_apart_with_the_same_lines_are_equal() {
    let a: Lines<L> = (0..70).map(said).collect();
    let mut b: Lines<L> = (10..70).map(said).collect();
    b.prepend((0..10).map(said));
    assert_eq!(a, b);
    assert_eq!(format!("{a:?}").matches("said").count(), 70);
}
