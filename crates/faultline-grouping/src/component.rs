//! Grouping components: the tree of values that a grouping strategy builds, and its hash.
//!
//! A component has an id (`exception`, `frame`, `function`, …), a `contributes` flag, an optional
//! hint saying why it was (not) used, and children that are either leaf strings or components.
//! Only contributing leaves reach the hash (§4.9): md5 over their UTF-8 bytes, concatenated
//! depth-first with no separator.
//!
//! A tree is stored flat, in pre-order: each component records where its subtree ends, and leaf
//! strings live in one shared text buffer. Building, hashing and copying a tree therefore costs a
//! few buffer pushes instead of an allocation per node, and the JSON view is only produced when
//! someone asks for it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use md5::{Digest, Md5};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::parameterize::normalize_message_cow;

/// Index of a component inside its [`Components`] tree.
pub(crate) type NodeId = usize;

/// The root component of a tree.
pub(crate) const ROOT: NodeId = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Component {
        id: &'static str,
        contributes: bool,
        hint: Option<&'static str>,
        /// Index one past the last node of the subtree.
        end: usize,
    },
    /// A leaf value: a byte range of the tree's text.
    Leaf { start: usize, end: usize },
    /// A leaf holding a message as sent; its value is the normalized message (§4.8), computed
    /// when read. Used for values that are ignored, which only the JSON view shows.
    RawMessage { start: usize, end: usize },
}

/// The component tree behind a grouping hash.
///
/// Serializes (with serde, or with `to_string()`) to the JSON used by the "why grouped" view:
/// `{"contributes", "hint", "id", "values": [child components or leaf strings]}`. Indexing
/// (`components["id"]`) reads that JSON as a [`serde_json::Value`], built on first use.
///
/// ```
/// use faultline_grouping::{group_event, GroupingConfig};
///
/// let event = serde_json::json!({"message": "disk 93% full"});
/// let grouping = group_event(&event, &GroupingConfig::default());
/// assert_eq!(grouping.components["id"], "message");
/// assert_eq!(
///     grouping.components.to_string(),
///     r#"{"contributes":true,"hint":"stripped event-specific values","id":"message","values":["disk <int>% full"]}"#
/// );
/// ```
#[derive(Clone, Default)]
pub struct Components {
    nodes: Vec<Node>,
    text: String,
    /// The JSON view behind `Index`. Only finished trees are handed out, and only they are
    /// indexed, so the cache never goes stale.
    json: OnceLock<Value>,
}

impl Components {
    /// An empty tree with room for about `nodes` nodes and `text` bytes of leaves.
    pub(crate) fn with_capacity(nodes: usize, text: usize) -> Self {
        Components {
            nodes: Vec::with_capacity(nodes),
            text: String::with_capacity(text),
            json: OnceLock::new(),
        }
    }

    /// Opens a component; the leaves and components pushed until [`Components::end`] are its
    /// children.
    pub(crate) fn begin(&mut self, id: &'static str) -> NodeId {
        self.nodes.push(Node::Component {
            id,
            contributes: false,
            hint: None,
            end: 0,
        });
        self.nodes.len() - 1
    }

    /// Appends a leaf value to the open component.
    pub(crate) fn push_leaf(&mut self, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.nodes.push(Node::Leaf {
            start,
            end: self.text.len(),
        });
    }

    /// Appends a leaf whose value is `message` normalized, normalizing only when it is read.
    fn push_raw_message(&mut self, message: &str) {
        let start = self.text.len();
        self.text.push_str(message);
        self.nodes.push(Node::RawMessage {
            start,
            end: self.text.len(),
        });
    }

    /// Closes a component opened with [`Components::begin`]. It contributes when any leaf is
    /// present or any child component contributes.
    pub(crate) fn end(&mut self, node: NodeId) {
        let len = self.nodes.len();
        let contributes = self.children(node, len).any(|child| match child {
            Node::Leaf { .. } | Node::RawMessage { .. } => true,
            Node::Component { contributes, .. } => contributes,
        });
        if let Some(Node::Component {
            contributes: c,
            end,
            ..
        }) = self.nodes.get_mut(node)
        {
            *c = contributes;
            *end = len;
        }
    }

    /// The direct children of the component at `node`, whose subtree ends before `end`.
    fn children(&self, node: NodeId, end: usize) -> impl Iterator<Item = Node> + '_ {
        let mut next = node + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let child = *self.nodes.get(next)?;
            next = match child {
                Node::Component { end, .. } => end,
                Node::Leaf { .. } | Node::RawMessage { .. } => next + 1,
            };
            Some(child)
        })
    }

    /// Appends a complete leaf component.
    pub(crate) fn push(&mut self, leaf: &LeafComponent<'_>) {
        let node = self.begin(leaf.id);
        match &leaf.value {
            Some(value) if leaf.raw_message => self.push_raw_message(value),
            Some(value) => self.push_leaf(value),
            None => {}
        }
        self.end(node);
        self.set_flags(node, leaf.contributes, leaf.hint);
    }

    /// Appends a copy of `other`'s tree as a child of the open component.
    pub(crate) fn append(&mut self, other: &Components) {
        let (nodes, text) = (self.nodes.len(), self.text.len());
        self.text.push_str(&other.text);
        self.nodes
            .extend(other.nodes.iter().map(|node| match *node {
                Node::Component {
                    id,
                    contributes,
                    hint,
                    end,
                } => Node::Component {
                    id,
                    contributes,
                    hint,
                    end: end + nodes,
                },
                Node::Leaf { start, end } => Node::Leaf {
                    start: start + text,
                    end: end + text,
                },
                Node::RawMessage { start, end } => Node::RawMessage {
                    start: start + text,
                    end: end + text,
                },
            }));
    }

    /// Sets the flags of a component, whatever its children say.
    pub(crate) fn set_flags(
        &mut self,
        node: NodeId,
        contributes: bool,
        hint: Option<&'static str>,
    ) {
        if let Some(Node::Component {
            contributes: c,
            hint: h,
            ..
        }) = self.nodes.get_mut(node)
        {
            *c = contributes;
            *h = hint;
        }
    }

    /// Marks a component as not contributing, with a reason.
    pub(crate) fn ignore(&mut self, node: NodeId, hint: &'static str) {
        self.set_flags(node, false, Some(hint));
    }

    /// Sets a hint without changing `contributes`.
    pub(crate) fn set_hint(&mut self, node: NodeId, hint: &'static str) {
        if let Some(Node::Component { hint: h, .. }) = self.nodes.get_mut(node) {
            *h = Some(hint);
        }
    }

    /// Whether the component at `node` contributes (false for a missing node).
    pub(crate) fn contributes_at(&self, node: NodeId) -> bool {
        matches!(
            self.nodes.get(node),
            Some(Node::Component {
                contributes: true,
                ..
            })
        )
    }

    /// Whether the root component contributes.
    pub(crate) fn contributes(&self) -> bool {
        self.contributes_at(ROOT)
    }

    /// Number of nodes (components and leaves), for sizing a tree that appends this one.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of leaf text, for sizing a tree that appends this one.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The id of the root component (`""` for an empty tree).
    #[cfg(test)]
    pub(crate) fn id(&self) -> &'static str {
        match self.nodes.first() {
            Some(Node::Component { id, .. }) => id,
            _ => "",
        }
    }

    fn text_of(&self, range: Range<usize>) -> &str {
        self.text.get(range).unwrap_or("")
    }

    /// The contributing nodes, depth-first: subtrees of components that do not contribute are
    /// skipped.
    fn contributing(&self) -> impl Iterator<Item = Node> + '_ {
        let mut next = 0;
        std::iter::from_fn(move || {
            let node = *self.nodes.get(next)?;
            next = match node {
                Node::Component {
                    contributes: false,
                    end,
                    ..
                } => end,
                _ => next + 1,
            };
            Some(node)
        })
    }

    /// The value of a leaf node (`None` for a component).
    fn leaf_value(&self, node: Node) -> Option<Cow<'_, str>> {
        match node {
            Node::Leaf { start, end } => Some(Cow::Borrowed(self.text_of(start..end))),
            Node::RawMessage { start, end } => {
                Some(normalize_message_cow(self.text_of(start..end)))
            }
            Node::Component { .. } => None,
        }
    }

    /// The contributing leaf values, depth-first.
    pub(crate) fn values(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.contributing().filter_map(|node| self.leaf_value(node))
    }

    /// Feeds the contributing leaf values to `md5`.
    pub(crate) fn feed(&self, md5: &mut Md5) {
        for value in self.values() {
            md5.update(value.as_bytes());
        }
    }

    /// md5 of the contributing values, or `None` when the tree does not contribute.
    pub(crate) fn hash(&self) -> Option<String> {
        self.contributes().then(|| {
            let mut md5 = Md5::new();
            self.feed(&mut md5);
            hex::encode(md5.finalize())
        })
    }

    /// The raw md5 of the contributing values (for comparing trees), `None` when the tree does
    /// not contribute.
    pub(crate) fn digest(&self) -> Option<[u8; 16]> {
        self.contributes().then(|| {
            let mut md5 = Md5::new();
            self.feed(&mut md5);
            md5.finalize().into()
        })
    }

    /// True when a contributing component with the given id is in the tree.
    pub(crate) fn has_contributing(&self, id: &str) -> bool {
        self.contributing()
            .any(|node| matches!(node, Node::Component { id: i, contributes: true, .. } if i == id))
    }

    /// The JSON view as a [`serde_json::Value`].
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A component with at most one leaf value: `module`, `function`, `type`, `message`, ….
#[derive(Debug, Clone)]
pub(crate) struct LeafComponent<'a> {
    pub(crate) id: &'static str,
    pub(crate) value: Option<Cow<'a, str>>,
    /// `value` is a message as sent, to be normalized when read (see [`LeafComponent::raw_message`]).
    raw_message: bool,
    pub(crate) contributes: bool,
    pub(crate) hint: Option<&'static str>,
}

impl<'a> LeafComponent<'a> {
    /// A component holding one leaf value (contributing).
    pub(crate) fn new(id: &'static str, value: impl Into<Cow<'a, str>>) -> Self {
        LeafComponent {
            id,
            value: Some(value.into()),
            raw_message: false,
            contributes: true,
            hint: None,
        }
    }

    /// A component holding a message as sent, normalized only when the tree is read. For a
    /// value that will be ignored: a contributing normalized value carries a hint saying
    /// whether normalization changed it, which this one lacks.
    pub(crate) fn raw_message(id: &'static str, message: &'a str) -> Self {
        LeafComponent {
            raw_message: true,
            ..LeafComponent::new(id, message)
        }
    }

    /// A component with no value (never contributes).
    pub(crate) fn empty(id: &'static str) -> Self {
        LeafComponent {
            id,
            value: None,
            raw_message: false,
            contributes: false,
            hint: None,
        }
    }

    /// Marks the component as not contributing, with a reason.
    pub(crate) fn ignore(&mut self, hint: &'static str) {
        self.contributes = false;
        self.hint = Some(hint);
    }

    /// Replaces the value (keeps `contributes`) and says why.
    pub(crate) fn replace(&mut self, value: impl Into<Cow<'a, str>>, hint: &'static str) {
        self.value = Some(value.into());
        self.raw_message = false;
        self.hint = Some(hint);
    }
}

/// md5 (32 lowercase hex) over the concatenated UTF-8 bytes of `values` (§4.9).
pub(crate) fn hash_values<I, S>(values: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut md5 = Md5::new();
    for v in values {
        md5.update(v.as_ref().as_bytes());
    }
    hex::encode(md5.finalize())
}

/// One component of a tree, for serialization.
struct ComponentRef<'a> {
    tree: &'a Components,
    node: NodeId,
}

/// The children of one component, for serialization.
struct ChildrenRef<'a> {
    tree: &'a Components,
    node: NodeId,
    end: usize,
}

impl Serialize for Components {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.nodes.is_empty() {
            return serializer.serialize_none();
        }
        ComponentRef {
            tree: self,
            node: ROOT,
        }
        .serialize(serializer)
    }
}

impl Serialize for ComponentRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(&Node::Component {
            id,
            contributes,
            hint,
            end,
        }) = self.tree.nodes.get(self.node)
        else {
            return serializer.serialize_none();
        };
        // Keys in the order a `serde_json::Map` keeps them (sorted).
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("contributes", &contributes)?;
        map.serialize_entry("hint", &hint)?;
        map.serialize_entry("id", id)?;
        let children = ChildrenRef {
            tree: self.tree,
            node: self.node,
            end,
        };
        map.serialize_entry("values", &children)?;
        map.end()
    }
}

impl Serialize for ChildrenRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        let mut next = self.node + 1;
        while next < self.end {
            match self.tree.nodes.get(next) {
                Some(&leaf @ (Node::Leaf { .. } | Node::RawMessage { .. })) => {
                    seq.serialize_element(&self.tree.leaf_value(leaf))?;
                    next += 1;
                }
                Some(&Node::Component { end, .. }) => {
                    seq.serialize_element(&ComponentRef {
                        tree: self.tree,
                        node: next,
                    })?;
                    next = end;
                }
                None => break,
            }
        }
        seq.end()
    }
}

/// The JSON text; `{:#}` pretty-prints it.
impl fmt::Display for Components {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if f.alternate() {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        };
        f.write_str(&text.map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Components {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Components({self})")
    }
}

/// Trees are equal when they have the same shape, flags, hints and leaf values.
impl PartialEq for Components {
    fn eq(&self, other: &Self) -> bool {
        self.nodes.len() == other.nodes.len()
            && self
                .nodes
                .iter()
                .zip(&other.nodes)
                .all(|(a, b)| match (*a, *b) {
                    (a @ Node::Component { .. }, b @ Node::Component { .. }) => a == b,
                    (a, b) => self.leaf_value(a) == other.leaf_value(b),
                })
    }
}

impl<I: serde_json::value::Index> std::ops::Index<I> for Components {
    type Output = Value;

    fn index(&self, index: I) -> &Value {
        &self.json.get_or_init(|| self.to_value())[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_is_md5_of_concatenation() {
        assert_eq!(
            hash_values(Vec::<&str>::new()),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(hash_values(["fo", "o"]), hash_values(["foo"]));
        assert_eq!(hash_values(["foo"]), "acbd18db4cc2f85cedef654fccc4a4d8");
    }

    #[test]
    fn non_contributing_children_are_skipped() {
        let mut tree = Components::default();
        let exception = tree.begin("exception");
        tree.push(&LeafComponent::new("type", "E"));
        let mut ignored = LeafComponent::new("value", "secret");
        ignored.ignore("ignored because stacktrace takes precedence");
        tree.push(&ignored);
        tree.end(exception);
        assert!(tree.contributes());
        assert_eq!(tree.values().collect::<Vec<_>>(), ["E"]);
        assert_eq!(tree.hash(), Some(hash_values(["E"])));

        let mut empty = Components::default();
        let stacktrace = empty.begin("stacktrace");
        empty.push(&LeafComponent::empty("frame"));
        empty.end(stacktrace);
        assert!(!empty.contributes());
        assert_eq!(empty.hash(), None);
    }

    #[test]
    fn json_view() {
        let mut leaf = Components::default();
        leaf.push(&LeafComponent::new("type", "E\"1"));
        let mut tree = Components::default();
        let root = tree.begin("exception");
        tree.append(&leaf);
        tree.push(&LeafComponent::empty("value"));
        tree.end(root);
        tree.set_hint(root, "why");
        let expected = json!({"id": "exception", "contributes": true, "hint": "why", "values": [
            {"id": "type", "contributes": true, "hint": null, "values": ["E\"1"]},
            {"id": "value", "contributes": false, "hint": null, "values": []},
        ]});
        assert_eq!(tree.to_string(), expected.to_string());
        assert_eq!(tree["values"][0]["values"][0], json!("E\"1"));
        assert_eq!(tree.clone(), tree);
        assert_eq!(Components::default().to_string(), "null");
    }

    #[test]
    fn raw_messages_are_normalized_when_read() {
        let mut tree = Components::default();
        let root = tree.begin("exception");
        tree.push(&LeafComponent::raw_message(
            "value",
            "user 42 gone\nmore\nmore",
        ));
        tree.end(root);
        assert_eq!(
            tree.values().collect::<Vec<_>>(),
            ["user <int> gone\nmore..."]
        );
        assert_eq!(
            tree["values"][0]["values"][0],
            json!("user <int> gone\nmore...")
        );
    }
}
