"""Packing of trajectories (rows of a (K, P) array) into lane blocks (n_blocks, P, n_lanes)."""

import numba
import numpy as np

from .core.wide import SUB as WIDE_SUB

#: lane-operations per call below which kernels run serially (a thread launch costs more)
PARALLEL_WORK = 20_000_000
#: work (samples x parameters x directions) from which two threads share the directions
PARALLEL_WORK_2 = 200_000

def lanes_for(n_params, n_traj, n_threads=2):
    """Lanes per block.

    Long lane rows amortise loop overhead (64 lanes for small networks, 24 for
    digits-sized ones: 1.2-1.4x the throughput of 16 lanes there on one
    thread); large networks use fewer lanes so a block's parameters and
    gradient stay in the L2 cache. With several threads, small ensembles are
    split into at least ``2 * n_threads`` blocks when that still leaves 4
    lanes per block; with one thread they are not split. The choice affects speed only:
    results do not depend on it.
    """
    if n_params <= 500:
        target = 64
    elif n_params <= 4000:
        target = 24
    else:
        target = 8
    if n_threads <= 1:   # nothing to balance: the longest rows
        return int(max(1, min(target, n_traj)))
    per_thread = -(-n_traj // (2 * n_threads))
    lanes = min(target, max(4, -(-per_thread // 4) * 4))
    return int(max(1, min(lanes, n_traj)))


#: lanes per block are rounded up to a multiple of this: the register-tiled
#: kernels (:mod:`netchaos.core.dense`) work on four lanes at a time
LANE_MULTIPLE = 4


#: multiply-adds per sample of a network's layers from which its passes over the data
#: are matrix products (:mod:`netchaos.core.wide`) rather than lane loops
WIDE_MACS = 30_000


def is_wide(sizes):
    """Whether a network of layer ``sizes`` takes the matrix-product kernels.

    The choice depends on the layer sizes only (never on the ensemble, the data or the
    threads), so a trajectory always follows the same arithmetic; the two kernels agree
    to rounding, not bitwise.
    """
    sizes = [int(s) for s in sizes]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) >= WIDE_MACS


def tile_for(n_params):
    """Samples per tile (a multiple of 4, as the register tiles take 4 samples).

    A tile's activations and deltas stay in cache while the weights of a
    layer are applied to all of its samples: 8 samples for small networks
    and 16 for larger ones were the fastest on Iris and digits.
    """
    return 8 if n_params <= 500 else 16


def plan(n_traj, n_lanes, groups=None, multiple=LANE_MULTIPLE):
    """Assign trajectories to (block, lane) slots.

    Parameters
    ----------
    n_traj : int
    n_lanes : int
        Lanes per block (raised to the largest group size when needed, then
        to a multiple of ``multiple``, :data:`LANE_MULTIPLE` for the register tiles; the
        matrix-product kernels take any number of lanes and need no padding).
    groups : list of int arrays, optional
        Trajectories that must share a block (a reference and its perturbations).
        Default: every trajectory alone.

    Returns
    -------
    slots : int64 ndarray of shape (n_blocks, n_lanes)
        Trajectory index held by each slot; padding slots repeat a real trajectory.
    where : int64 ndarray of shape (n_traj, 2)
        (block, lane) of every trajectory.
    """
    n_lanes = -(-n_lanes // multiple) * multiple
    if groups is None:
        n_blocks = -(-n_traj // n_lanes)
        flat = np.arange(n_blocks * n_lanes)
        flat = np.where(flat < n_traj, flat, n_traj - 1)
        slots = flat.reshape(n_blocks, n_lanes).astype(np.int64)
        where = np.stack([np.arange(n_traj) // n_lanes, np.arange(n_traj) % n_lanes], axis=1)
        return slots, where.astype(np.int64)
    g = max(len(grp) for grp in groups)
    # whole groups per block: a block of 16 lanes holding two groups of 6 would carry 4
    # padding lanes, so use 12 (the lanes only change the speed, never the result)
    n_lanes = max(g, n_lanes // g * g) if all(len(grp) == g for grp in groups) \
        else max(n_lanes, g)
    n_lanes = -(-n_lanes // multiple) * multiple
    blocks = []
    current = []
    for g in groups:
        if len(current) + len(g) > n_lanes:
            blocks.append(current)
            current = []
        current.extend(int(i) for i in g)
    if current:
        blocks.append(current)
    slots = np.empty((len(blocks), n_lanes), dtype=np.int64)
    where = np.full((n_traj, 2), -1, dtype=np.int64)
    for b, members in enumerate(blocks):
        pad = members + [members[-1]] * (n_lanes - len(members))
        slots[b] = pad
        for q, i in enumerate(members):
            where[i] = (b, q)
    return slots, where


def pack(thetas, slots):
    """(K, P) rows -> (n_blocks, P, n_lanes) blocks, C-contiguous (a few lanes at a time,
    so that packing needs no more memory than the blocks)."""
    out = np.empty((slots.shape[0], thetas.shape[1], slots.shape[1]))
    step = 64      # lanes per copy: a block of many lanes is never gathered whole
    for b in range(slots.shape[0]):
        for q in range(0, slots.shape[1], step):
            out[b, :, q:q + step] = thetas[slots[b, q:q + step]].T
    return out


#: most lanes per block of a wide network (three of the matrix-product kernels' sub-blocks
#: of 8): its ensemble runs block by block, so memory beyond the state is bounded by a block
WIDE_LANES = 24
#: bytes of a block's gathered states above which a block holds fewer lanes (whole
#: sub-blocks, at least one): a block's gathered states, its gradients and the kernel's
#: partial gradients each grow with its lanes and the network
WIDE_BLOCK_BYTES = 24 << 20


def wide_lanes(n_traj, group, n_params):
    """Lanes per block of a wide network's ensemble: at most :data:`WIDE_LANES`, fewer for
    a large network (:data:`WIDE_BLOCK_BYTES`, but one sub-block of :data:`WIDE_SUB` lanes
    or one group at least), as few blocks as that allows, and the lanes spread evenly over
    them so that padding stays below one group per block."""
    fit = WIDE_BLOCK_BYTES // (8 * n_params) // WIDE_SUB * WIDE_SUB
    most = min(WIDE_LANES, max(WIDE_SUB, fit))
    n_groups = -(-n_traj // group)
    per = max(1, most // group)                       # groups per block at most
    n_blocks = -(-n_groups // per)
    return group * -(-n_groups // n_blocks)


def gather(state, slots_b):
    """The (P, n_lanes) C-contiguous block of the rows ``slots_b`` of a (K, P) state
    (copied a row at a time: no temporary of the block's size)."""
    block = np.empty((state.shape[1], slots_b.size))
    for q, k in enumerate(slots_b):
        block[:, q] = state[k]
    return block


def scatter(state, block, slots_b, where, b):
    """Write block ``b`` back into the rows of its trajectories (padding lanes are skipped)."""
    for q, k in enumerate(slots_b):
        if where[k, 0] == b and where[k, 1] == q:
            state[k] = block[:, q]


def unpack(blocks, where):
    """(n_blocks, ..., n_lanes) -> (K, ...): the slot of every trajectory."""
    return blocks[where[:, 0], ..., where[:, 1]]


def direction_blocks(n_samples, n_params, k):
    """Blocks of directions a Hessian-vector product is split into, one per thread at a time.

    Parallel blocks only when the work (samples x parameters x directions)
    dwarfs a thread launch; every block repeats the base pass, so mid-sized
    work takes two blocks.
    """
    work = n_samples * n_params * k
    threads = numba.get_num_threads()
    if work < PARALLEL_WORK_2 or k < 16 or threads < 2:
        return 1
    return 2 if work < PARALLEL_WORK else min(k // 16 + 1, 2 * threads)
