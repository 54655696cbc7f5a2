//! Hierarchies (territories, channels, partners, categories) with O(1) "is within" tests.

use crate::intern::NONE;

/// A forest over codes `0..n`, with each node's parent and its DFS entry/exit numbers, so that
/// "is `node` inside `ancestor`'s subtree" is two integer comparisons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    parent: Vec<u32>,
    enter: Vec<u32>,
    exit: Vec<u32>,
    depth: Vec<u16>,
}

/// The nodes on a parent cycle, found while building a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<u32>);

impl Tree {
    /// Build from each node's parent code ([`NONE`] for roots). Parent codes must be `< n`.
    pub fn new(parent: Vec<u32>) -> Result<Tree, Cycle> {
        let n = parent.len();
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, &p) in parent.iter().enumerate() {
            if p == NONE {
                roots.push(i as u32);
            } else {
                children[p as usize].push(i as u32);
            }
        }
        let mut enter = vec![u32::MAX; n];
        let mut exit = vec![0u32; n];
        let mut depth = vec![0u16; n];
        let mut clock = 0u32;
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for &r in &roots {
            stack.push((r, 0));
            enter[r as usize] = clock;
            clock += 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let kids = &children[node as usize];
                if *next < kids.len() {
                    let c = kids[*next];
                    *next += 1;
                    enter[c as usize] = clock;
                    clock += 1;
                    depth[c as usize] = depth[node as usize].saturating_add(1);
                    stack.push((c, 0));
                } else {
                    exit[node as usize] = clock;
                    stack.pop();
                }
            }
        }
        let unreached: Vec<u32> = (0..n as u32)
            .filter(|&i| enter[i as usize] == u32::MAX)
            .collect();
        if !unreached.is_empty() {
            return Err(Cycle(unreached));
        }
        Ok(Tree {
            parent,
            enter,
            exit,
            depth,
        })
    }

    /// Whether `node` is `ancestor` or lies below it.
    #[inline]
    pub fn is_within(&self, node: u32, ancestor: u32) -> bool {
        let (n, a) = (node as usize, ancestor as usize);
        self.enter[a] <= self.enter[n] && self.enter[n] < self.exit[a]
    }

    /// The parent of a node, or `None` for a root.
    pub fn parent(&self, node: u32) -> Option<u32> {
        let p = self.parent[node as usize];
        (p != NONE).then_some(p)
    }

    /// Depth of a node (roots are 0).
    pub fn depth(&self, node: u32) -> u16 {
        self.depth[node as usize]
    }

    /// The node and its ancestors, nearest first.
    pub fn ancestors(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(node), move |&n| self.parent(n))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether the tree has no nodes.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_is_hierarchy_aware() {
        // 0 country; 1,2 regions; 3 province in 1; 4 city in 3; 5 city in 2
        let t = Tree::new(vec![NONE, 0, 0, 1, 3, 2]).expect("a tree");
        assert!(t.is_within(4, 3));
        assert!(t.is_within(4, 1));
        assert!(t.is_within(4, 0));
        assert!(t.is_within(4, 4));
        assert!(!t.is_within(4, 2));
        assert!(!t.is_within(3, 4));
        assert!(!t.is_within(5, 1));
        assert_eq!(t.depth(4), 3);
        assert_eq!(t.ancestors(4).collect::<Vec<_>>(), vec![4, 3, 1, 0]);
    }

    #[test]
    fn cycles_are_found() {
        assert_eq!(Tree::new(vec![NONE, 2, 1]), Err(Cycle(vec![1, 2])));
        assert_eq!(Tree::new(vec![0]), Err(Cycle(vec![0])));
    }
}
