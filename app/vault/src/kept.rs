//! Which messages of a batch are kept already, read as a few spans of keys instead of a
//! request per key.
//!
//! A message is kept when its index entry is there, or a record from before under the
//! key it had then (see [`crate::history`]). Asked key by key, a batch cost two
//! IndexedDB requests per message: in a burst of 500, 85 ms of the receiver's main
//! thread went to those look-ups alone (CPU profile, `BENCH_ONLY=burst
//! BENCH_PROFILE=1`), each a message to the browser's storage and one back. The index
//! entries of one author's messages sort together (by number), and the records from
//! before by the author's time, so a span from a batch's lowest such key to its highest
//! holds every key that could answer. An author's span holds few others when the batch's
//! numbers are close; the span of times also holds whatever the room kept from anyone in
//! that time, so a batch of old and new messages together is asked about key by key.

use std::collections::HashSet;

use crate::{LookFor, Looked, Span, Store, StoreError, Table};

/// Keys read from a span, at most, beyond twice the keys it is asked about: a span that
/// holds more (numbers or times far apart, with much stored between) is asked about key
/// by key instead, so a batch never reads more than a bounded number of keys per
/// message.
const SPARE_KEYS: usize = 16;

/// What tells whether one message is kept already.
pub(crate) struct KeptKeys<'a> {
    /// Its index entry.
    pub(crate) index: &'a str,
    /// How much of `index` names the room and the author: one author's entries share it.
    pub(crate) author_len: usize,
    /// The key its record had before records were keyed by order.
    pub(crate) before: &'a str,
}

impl<'a> KeptKeys<'a> {
    /// Both keys: either one read back says the message is kept.
    pub(crate) fn both(&self) -> [&'a str; 2] {
        [self.index, self.before]
    }
}

/// Keys that sort together: one author's index entries, or the batch's keys from before.
struct Group<'a> {
    /// What each of its index entries begins with (empty for the keys from before).
    author: &'a str,
    keys: Vec<&'a str>,
    lowest: &'a str,
    highest: &'a str,
}

impl<'a> Group<'a> {
    fn of(author: &'a str, key: &'a str) -> Self {
        Self {
            author,
            keys: vec![key],
            lowest: key,
            highest: key,
        }
    }

    fn add(&mut self, key: &'a str) {
        self.keys.push(key);
        self.lowest = self.lowest.min(key);
        self.highest = self.highest.max(key);
    }
}

/// The batch's keys in groups whose keys sort together: each author's index entries, and
/// every key from before. Found without sorting: a batch has few authors (one, in a
/// conversation), and a sort of these keys added 16 KB to the app's module.
fn groups<'a>(batch: &[KeptKeys<'a>]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    for k in batch {
        let author = &k.index[..k.author_len];
        match groups.iter_mut().find(|g| g.author == author) {
            Some(group) => group.add(k.index),
            None => groups.push(Group::of(author, k.index)),
        }
    }
    if let Some((first, rest)) = batch.split_first() {
        let mut before = Group::of("", first.before);
        for k in rest {
            before.add(k.before);
        }
        groups.push(before);
    }
    groups
}

/// Whether each message of `batch` is kept already in `store`, and the value under
/// `also` (the room's ledger, which the write needs next), read in the same look.
pub(crate) async fn kept_already<S: Store>(
    store: &S,
    batch: &[KeptKeys<'_>],
    also: Option<&str>,
) -> Result<(Vec<bool>, Option<Vec<u8>>), StoreError> {
    if batch.is_empty() && also.is_none() {
        return Ok((Vec::new(), None));
    }
    let groups = groups(batch);
    // Just above the highest key: no key lies between the two.
    let ends: Vec<String> = groups.iter().map(|g| format!("{}\0", g.highest)).collect();
    let spans: Vec<Span<'_>> = groups
        .iter()
        .zip(&ends)
        .map(|(group, to)| Span {
            from: group.lowest,
            to,
            limit: 2 * group.keys.len() + SPARE_KEYS,
            newest_first: false,
        })
        .collect();
    let Looked {
        keys: found,
        values,
    } = store
        .look(
            Table::Messages,
            LookFor {
                spans: &spans,
                values: also.as_slice(),
            },
        )
        .await?;
    let also = values.into_iter().next().flatten();
    // The keys of spans that held more than their limit, asked about one by one.
    let unsure: Vec<String> = groups
        .iter()
        .zip(&spans)
        .zip(&found)
        .filter(|((_, span), keys)| keys.len() >= span.limit)
        .flat_map(|((group, _), _)| group.keys.iter().map(|k| (*k).to_owned()))
        .collect();
    let answers = if unsure.is_empty() {
        Vec::new()
    } else {
        store.contains_many(Table::Messages, &unsure).await?
    };
    let there: HashSet<&str> = spans
        .iter()
        .zip(&found)
        .filter(|(span, keys)| keys.len() < span.limit)
        .flat_map(|(_, keys)| keys.iter().map(String::as_str))
        .chain(
            unsure
                .iter()
                .zip(&answers)
                .filter(|(_, there)| **there)
                .map(|(k, _)| k.as_str()),
        )
        .collect();
    let kept = batch
        .iter()
        .map(|k| k.both().iter().any(|key| there.contains(key)))
        .collect();
    Ok((kept, also))
}
