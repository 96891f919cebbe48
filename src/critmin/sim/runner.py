"""Run a scenario: fixed blocks of samples, each seeded by its own spawned seed sequence.

Block ``b`` always holds samples ``[b·BLOCK, min((b+1)·BLOCK, N))`` and draws from
``SeedSequence(seed, spawn_key=(b,))`` — exactly the ``b``-th child of
``SeedSequence(seed).spawn`` — so a result does not depend on how many workers ran the blocks,
in which order, or on which machine (threads here; a Dask distributed cluster with
``scheduler``). Results are an :class:`xarray.Dataset` (dims ``sample, year, mineral`` and
``component``). When the full arrays would not fit the memory budget, or when asked, they
stream block by block to a Zarr store on disk (a temporary one when no ``out`` is given) and
the returned Dataset reads lazily from it.

``keep="summary"`` keeps only what the summary statistics and fan charts need
(shortfall and price index as float32, and per-sample reductions), for large runs.
``keep="reduced"`` keeps only the per-sample reductions the per-mineral summary needs: each
block is reduced where it is computed (a Dask worker, a thread) and only those small arrays
travel (about 1/5 of ``"summary"``), so a cluster scales; the summary table is bit-identical
to the one of a ``"summary"`` or ``"all"`` run with the same seed, because it is made by the
same function from the same per-sample values (decision 0027). No fan chart (by year) then.
``keep="stats"`` goes further: the per-sample reductions stay where they were computed (a
Dask worker's memory; :class:`critmin.sim.reduce.Shard`) and only the summary statistics,
merged exactly, come back — the same numbers bit for bit (decision 0030). With ``out`` and
a Dask scheduler, the workers write their blocks into the Zarr store themselves.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

from critmin.data.dataset import Dataset
from critmin.data.dataset import load as load_dataset
from critmin.data.errors import DataError, Problem
from critmin.sim.ai_allocation import RULES, ai_minerals, ai_share
from critmin.sim.engine import OUTPUTS, plan, reductions, run_block, run_reduced
from critmin.sim.inputs import MarketInputs, draw, prepare
from critmin.sim.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from critmin.sim.reduce import Shard

#: Samples per block. Fixed: changing it changes every result (the seeds are per block).
BLOCK = 1000
#: Full results above this many bytes stream to disk instead of staying in memory.
MEMORY_BUDGET = 1_000_000_000
#: The threshold (share of the bloc's demand) for "years to recover" and P(shortfall > X).
RECOVERED = 0.01

Keep = Literal["all", "summary", "reduced", "stats"]
Progress = Callable[[int, int], None]


def prepare_cached(scenario: Scenario, ds: Dataset, source: str = "scenario") -> MarketInputs:
    """:func:`critmin.sim.inputs.prepare`, stored on disk per scenario, dataset and code.

    The compiled inputs depend only on the scenario (its JSON), the dataset's files and
    critmin's code, which are the key (:func:`critmin.data.cache.cached_value`): a second run
    of the same scenario skips the compilation. Errors are never stored (decision 0027).
    """
    from critmin.data.cache import cached_value

    key = ("sim.prepare", scenario.model_dump_json(), source)
    mi: MarketInputs = cached_value("prepare", key, ds.files, lambda: prepare(scenario, ds, source))
    return mi


def block_bounds(samples: int) -> list[tuple[int, int, int]]:
    """(block index, first sample, end) for ``samples`` samples.

    Examples
    --------
    >>> block_bounds(2500)
    [(0, 0, 1000), (1, 1000, 2000), (2, 2000, 2500)]
    """
    return [(b, lo, min(lo + BLOCK, samples)) for b, lo in enumerate(range(0, samples, BLOCK))]


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The generator of one block: the ``block``-th spawned child of ``SeedSequence(seed)``.

    Examples
    --------
    >>> a = block_rng(7, 2).random()
    >>> b = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7).spawn(3)[2])).random()
    >>> a == b
    True
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def per_sample(mi: MarketInputs, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Reductions over years per sample and mineral (what the summary statistics use), in one
    compiled pass (:func:`critmin.sim.kernels.reduce_samples`): worst-year shortfall and
    price, horizon totals, :func:`years_to_recover`, the worst-year AI output, and AI's
    worst-year shortfall of each mineral under each allocation rule (decision 0033)."""
    from critmin.sim import kernels

    def arr(k: str) -> np.ndarray:
        return np.ascontiguousarray(out[k], dtype=np.float64)

    n, _, M = out["shortfall"].shape
    red = reductions(n, M, out["ai_output"].shape[2])
    kernels.reduce_samples(plan(mi), arr("shortfall"), arr("demand"), arr("unmet"),
                           arr("price_index"), arr("stock_release"), arr("ai_output"),
                           RECOVERED, red)  # fmt: skip
    return red._asdict()


def years_to_recover(shortfall: np.ndarray, threshold: float = RECOVERED) -> np.ndarray:
    """Years from the first year short by more than ``threshold`` to the first year that is
    not (counted to the horizon's end when it never recovers); 0 when never short.

    Examples
    --------
    >>> years_to_recover(np.array([[[0.0], [0.2], [0.3], [0.0], [0.5]]]))[:, 0].tolist()
    [2.0]
    >>> years_to_recover(np.array([[[0.0], [0.2], [0.3]]]))[:, 0].tolist()
    [2.0]
    """
    short = shortfall > threshold
    T = short.shape[1]
    any_short = short.any(axis=1)
    first = np.where(any_short, short.argmax(axis=1), T)
    years = np.arange(T)[None, :, None]
    after = (years >= first[:, None, :]) & ~short
    ends = np.where(after.any(axis=1), after.argmax(axis=1), T)
    return np.where(any_short, ends - first, 0).astype(float)


#: Samples the engine works on at once inside a block: arrays that fit the caches better.
#: Samples are independent, so this changes speed only, never results.
SUB = 500


def _run_one(
    mi: MarketInputs, seed: int, block: int, lo: int, hi: int, keep: Keep
) -> dict[str, np.ndarray]:
    dr = draw(mi, block_rng(seed, block), hi - lo)
    res: dict[str, np.ndarray] = {}
    for a in range(0, dr.n, SUB):
        b = min(a + SUB, dr.n)
        if keep == "all":
            out = run_block(mi, dr.samples(a, b))
            part = per_sample(mi, out)
            part.update(out)
            del out
        else:
            # Reduced as computed, sample by sample: the block's year arrays never exist
            # (decision 0035); "summary" keeps shortfall and price index as float32.
            part = run_reduced(mi, dr.samples(a, b), RECOVERED, years=keep == "summary")
        for k, v in part.items():
            if k not in res:
                res[k] = np.empty((dr.n, *v.shape[1:]), dtype=v.dtype)
            res[k][a:b] = v
    return res


#: Blocks per task when workers keep their samples (``keep="stats"``): fewer, larger tasks
#: amortise the scheduling and the per-task merge; results do not depend on it.
TASK_BLOCKS = 10


def _write_block(
    mi: MarketInputs, store: str, res: dict[str, np.ndarray], lo: int, hi: int
) -> None:
    """Region write of one block into a store initialised from :func:`_template` (the
    store's chunks are blocks, so writers never share a chunk)."""
    block = _block_dataset(mi, res, lo, hi).drop_vars(["year", "mineral", "component", "rule"])
    block.to_zarr(store, region={"sample": slice(lo, hi)}, consolidated=False)


def _run_blocks(
    mi: MarketInputs,
    seed: int,
    bounds: list[tuple[int, int, int]],
    keep: Keep,
    store: str | None,
) -> list[tuple[int, int, dict[str, np.ndarray]]] | Shard:
    """Run some blocks where this is called (a Dask worker, a thread); write each into
    ``store`` when given; return a :class:`~critmin.sim.reduce.Shard` for ``keep="stats"``,
    else the blocks' results (none when they went to the store)."""
    from critmin.sim.reduce import Shard

    done: list[tuple[int, int, dict[str, np.ndarray]]] = []
    reds: list[dict[str, np.ndarray]] = []
    for b, lo, hi in bounds:
        res = _run_one(mi, seed, b, lo, hi, keep)
        if store is not None:
            _write_block(mi, store, res, lo, hi)
        if keep == "stats":
            reds.append(res)
        elif store is None:
            done.append((lo, hi, res))
    if keep == "stats":
        return Shard.build([b for b, _, _ in bounds], reds)
    return done


def _dims(name: str) -> tuple[str, ...]:
    if name in ("ai_output",):
        return ("sample", "year", "component")
    if name == "ai_output_min":
        return ("sample", "component")
    if name == "ai_shortfall_peak":
        return ("sample", "mineral", "rule")
    if name in OUTPUTS:
        return ("sample", "year", "mineral")
    return ("sample", "mineral")


UNITS = {
    "supply": "t",
    "demand": "t",
    "stock_release": "t",
    "unmet": "t",
    "stock": "t",
    "shortfall": "share of the bloc's demand",
    "price_index": "price / baseline price",
    "available": "share of baseline world capacity",
    "ai_output": "share of unconstrained output",
    "shortfall_peak": "share of the bloc's demand (worst year)",
    "shortfall_horizon": "share of the bloc's demand over the horizon",
    "price_peak": "price / baseline price (worst year)",
    "unmet_total": "t",
    "release_total": "t",
    "years_to_recover": "years",
    "ai_output_min": "share of unconstrained output (worst year)",
    "ai_shortfall_peak": "share of AI hardware's demand (worst year), per allocation rule",
}


def _coords(mi: MarketInputs, lo: int, hi: int) -> dict[str, Any]:
    return {
        "sample": np.arange(lo, hi),
        "year": mi.years,
        # Variable-length strings: Zarr v3 has no stable fixed-width string type.
        "mineral": np.array(mi.minerals, dtype=object),
        "component": np.array(mi.components, dtype=object),
        "rule": np.array(RULES, dtype=object),
    }


def _block_dataset(mi: MarketInputs, res: dict[str, np.ndarray], lo: int, hi: int) -> xr.Dataset:
    coords = _coords(mi, lo, hi)
    data = {k: (_dims(k), v, {"units": UNITS[k]}) for k, v in res.items()}
    return xr.Dataset(data, coords=coords)


def _attrs(mi: MarketInputs, samples: int, seed: int, keep: Keep, ds: Dataset) -> dict[str, Any]:
    s = mi.scenario
    params = {
        name: {
            m: [float(r.low[i]), float(r.central[i]), float(r.high[i]), r.source[i]]
            for i, m in enumerate(mi.minerals)
        }
        for name, r in mi.params.items()
    }
    return {
        "scenario": s.name,
        "scenario_json": s.model_dump_json(),
        "samples": samples,
        "seed": seed,
        "block": BLOCK,
        "keep": keep,
        "bloc": ",".join(s.bloc_members()),
        "bloc_share": json.dumps(dict(zip(mi.minerals, mi.bloc_share.tolist(), strict=True))),
        "bloc_share_basis": json.dumps(dict(zip(mi.minerals, mi.bloc_share_basis, strict=True))),
        "ai_minerals": json.dumps(
            [m for m, u in zip(mi.minerals, ai_minerals(mi), strict=True) if u]
        ),
        "ai_share_basis": ai_share(mi)[1],
        "world_t_basis": json.dumps(mi.provenance),
        "warnings": json.dumps(list(mi.warnings)),
        "parameters": json.dumps(params),
        "data_version": _data_version(ds),
        "model": "critmin market model (docs/model.md)",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _data_version(ds: Dataset) -> str:
    prov = getattr(ds, "provenance", None)
    if prov is None or len(prov) == 0 or "file" not in prov:
        return "unknown"
    return f"{len(prov)} provenance rows"


def estimate_bytes(mi: MarketInputs, samples: int, keep: Keep) -> int:
    """Memory the full results would take."""
    T, M = mi.shape
    J = len(mi.components)
    if keep in ("reduced", "stats"):
        return samples * (9 * M * 8 + J * 8)
    if keep == "summary":
        return samples * (2 * T * M * 4 + 9 * M * 8 + J * 8)
    return samples * (len(OUTPUTS) * T * M * 8 + T * J * 8 + 9 * M * 8 + J * 8)


def _blocks(
    mi: MarketInputs,
    seed: int,
    bounds: list[tuple[int, int, int]],
    keep: Keep,
    workers: int,
    scheduler: str | None,
    store: str | None = None,
) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
    """Yield (first sample, end, results) as blocks complete (any order); with ``store``
    (Dask only) the workers wrote the blocks there and the results are empty."""
    if scheduler is not None:
        yield from _dask_blocks(mi, seed, bounds, keep, scheduler, workers, store)
        return
    if workers <= 1:
        for b, lo, hi in bounds:
            yield lo, hi, _run_one(mi, seed, b, lo, hi, keep)
        return
    # A bounded window of blocks in flight: finished blocks waiting to be collected would
    # otherwise pile up in memory.
    window = 2 * workers
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[int, int, Future[dict[str, np.ndarray]]]] = []
        for b, lo, hi in bounds:
            pending.append((lo, hi, pool.submit(_run_one, mi, seed, b, lo, hi, keep)))
            if len(pending) >= window:
                lo0, hi0, fut = pending.pop(0)
                yield lo0, hi0, fut.result()
        for lo0, hi0, fut in pending:
            yield lo0, hi0, fut.result()


#: Seconds to wait for a Dask scheduler to answer before giving up (it is either there or not).
SCHEDULER_TIMEOUT = 5.0


def local_cluster(workers: int) -> Any:
    """A Dask LocalCluster of ``workers`` single-threaded processes, tuned for the engine.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand
    every large temporary array back to the system and fault it in again: the engine's
    blocks then run about 3× slower in a worker than in the client (measured, issue 20).
    Workers started here keep the default allocator and run without Dask's statistical
    profiler; for a cluster started elsewhere set
    ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_`` and
    ``distributed.worker.profile.enabled`` likewise (docs/scale-out.md).
    """
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    # The worker's statistical profiler walks the running thread's stack every 10 ms: a few
    # per cent of every block's CPU for a diagnostic nobody reads here (decision 0030).
    settings = {"distributed.nanny.pre-spawn-environ": environ,
                "distributed.worker.profile.enabled": False}  # fmt: skip
    with dask.config.set(settings):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None)  # fmt: skip


class _Connection:
    """A Dask client on ``scheduler`` (an address, or ``"local"`` for a LocalCluster of
    ``workers`` processes), closed with its cluster on exit."""

    def __init__(self, scheduler: str, workers: int) -> None:
        from distributed import Client

        self.cluster = None
        if scheduler == "local":
            self.cluster = local_cluster(max(workers, 1))
            self.client = Client(self.cluster)
            return
        try:
            self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as e:
            # One clear line for the user instead of distributed's retries and traceback.
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {scheduler!r} within "
                f"{SCHEDULER_TIMEOUT:g} s ({type(e).__name__})"
            ) from None

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _dask_blocks(
    mi: MarketInputs,
    seed: int,
    bounds: list[tuple[int, int, int]],
    keep: Keep,
    scheduler: str,
    workers: int,
    store: str | None = None,
) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
    """Blocks run on a Dask cluster, one task each. With ``store`` the workers write their
    blocks into it and only an acknowledgement travels (the results yielded are empty)."""
    from distributed import as_completed

    with _Connection(scheduler, workers) as client:
        remote = client.scatter(mi, broadcast=True)
        if store is not None:
            futs = {
                client.submit(_run_blocks, remote, seed, [(b, lo, hi)], keep, store, pure=False):
                    (lo, hi)
                for b, lo, hi in bounds
            }  # fmt: skip
        else:
            futs = {
                client.submit(_run_one, remote, seed, b, lo, hi, keep, pure=False): (lo, hi)
                for b, lo, hi in bounds
            }
        for fut in as_completed(futs):
            lo, hi = futs[fut]
            res = fut.result()
            yield lo, hi, (res if store is None else {})
            fut.release()


def _shard_call(shard: Shard, name: str, args: tuple[Any, ...]) -> Any:
    """Runs on the worker that holds ``shard``: one of its methods (a small answer)."""
    return getattr(shard, name)(*args)


def _run_stats(
    mi: MarketInputs,
    seed: int,
    bounds: list[tuple[int, int, int]],
    workers: int,
    scheduler: str | None,
    store: str | None,
    threshold: float,
    bound: np.ndarray,
    progress: Progress | None,
) -> dict[str, Any]:
    """Blocks run in tasks of :data:`TASK_BLOCKS` that keep their samples where they ran;
    the summary statistics merged from the shards' small answers (:mod:`critmin.sim.reduce`)."""
    from critmin.sim.reduce import Pooled, Shard, local_call, merge

    groups = [bounds[i : i + TASK_BLOCKS] for i in range(0, len(bounds), TASK_BLOCKS)]
    M = len(mi.minerals)
    done = 0
    if scheduler is None:

        def one(g: list[tuple[int, int, int]]) -> Shard:
            shard = _run_blocks(mi, seed, g, "stats", store)
            assert isinstance(shard, Shard)
            return shard

        shards: list[Shard] = []
        with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
            for g, shard in zip(groups, pool.map(one, groups), strict=True):
                shards.append(shard)
                done += len(g)
                if progress:
                    progress(done, len(bounds))
        # One answerer for all of them: order statistics read off directly, no rounds.
        return merge(local_call([Pooled(shards)]), M, threshold, bound)
    from distributed import as_completed, wait

    with _Connection(scheduler, workers) as client:
        remote = client.scatter(mi, broadcast=True)
        futs = [client.submit(_run_blocks, remote, seed, g, "stats", store, pure=False)
                for g in groups]  # fmt: skip
        size = {f.key: len(g) for f, g in zip(futs, groups, strict=True)}
        for fut in as_completed(futs):
            fut.result()  # raises a task's error here; the shard itself stays on its worker
            done += size[fut.key]
            if progress:
                progress(done, len(bounds))

        # Each worker combines the shards it holds into one (sorted again, where they are:
        # nothing travels), so the merge asks one shard per worker, not one per task.
        # A shard no worker holds any more (its worker left) is recomputed wherever Dask
        # chooses, in a group of its own.
        held: dict[str, list[Any]] = {}
        for key, where in client.who_has(futs).items():
            held.setdefault(min(where) if where else "", []).append(key)
        by_key = {f.key: f for f in futs}
        combined = [client.submit(Shard.combine, [by_key[k] for k in keys], pure=False,
                                  **({"workers": [w], "allow_other_workers": False} if w else {}))
                    for w, keys in sorted(held.items())]  # fmt: skip
        wait(combined)
        del futs, by_key, fut  # the tasks' shards are no longer needed

        def call(name: str, args: tuple[Any, ...]) -> list[Any]:
            asks = [client.submit(_shard_call, f, name, args, pure=False) for f in combined]
            return list(client.gather(asks))

        return merge(call, M, threshold, bound)


def _stats_dataset(
    mi: MarketInputs, stats: dict[str, Any], attrs: dict[str, Any], threshold: float
) -> xr.Dataset:
    from critmin.sim.summary import COLUMNS

    cols = [c for c in COLUMNS if c not in ("mineral", "samples", "threshold")]
    res = xr.Dataset(
        {c: (("mineral",), np.asarray(stats[c], dtype=float)) for c in cols},
        coords={"mineral": np.array(mi.minerals, dtype=object)},
    )
    res.attrs.update(attrs)
    by_rule = {f"ai_at_risk_{r}": float(stats[f"ai_at_risk_{r}"]) for r in RULES}
    res.attrs.update(threshold=threshold, ai_output_at_risk=float(stats["ai_output_at_risk"]),
                     **by_rule)  # fmt: skip
    return res


def simulate(
    scenario: Scenario | str | Path,
    ds: Dataset | None = None,
    *,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    out: str | Path | None = None,
    keep: Keep = "all",
    stream: bool | None = None,
    progress: Progress | None = None,
    memory_budget: int = MEMORY_BUDGET,
    source: str | None = None,
    transform: Callable[[MarketInputs], MarketInputs] | None = None,
    threshold: float = 0.05,
) -> xr.Dataset:
    """Run a scenario and return its results as an :class:`xarray.Dataset`.

    Parameters
    ----------
    scenario
        A validated :class:`~critmin.sim.scenario.Scenario` or the path of a scenario file.
    samples, seed
        Override the scenario's.
    workers
        Threads (or LocalCluster workers with ``scheduler="local"``).
    scheduler
        A Dask distributed scheduler address, or ``"local"`` for a LocalCluster.
    out
        Write the results to this file: ``.nc`` (NetCDF 4 via h5netcdf) or ``.zarr``.
    keep
        ``"all"`` outputs, ``"summary"`` (shortfall and price index plus per-sample
        reductions) for very large runs, or ``"reduced"`` (only the per-sample reductions,
        reduced where computed), or ``"stats"`` (only the per-mineral summary statistics,
        merged from what each worker keeps: the scale-out mode; decision 0030).
    stream
        Stream blocks to disk as they complete; by default when the results would exceed
        ``memory_budget`` bytes.
    source
        How errors name the scenario (its file) when ``scenario`` is already validated.
    transform
        Changes the compiled market inputs before sampling (policy levers use it); the draws
        of the baseline are unchanged, so a plan and its baseline share their samples.
    threshold
        ``keep="stats"`` only: the shortfall share counted in ``p_shortfall_over``.

    Examples
    --------
    >>> r = simulate("examples/china-gallium-germanium-2023.yaml", samples=200)
    >>> r.sizes["sample"], sorted(r.data_vars)[:3]
    (200, ['ai_output', 'ai_output_min', 'ai_shortfall_peak'])
    >>> float(r.shortfall.sel(year=2024, mineral="gallium").mean()) > 0
    True
    """
    source = source or "scenario"
    if not isinstance(scenario, Scenario):
        source = str(scenario)
        scenario = load_scenario(scenario)
    if samples is not None or seed is not None:
        update: dict[str, int] = {}
        if samples is not None:
            update["samples"] = samples
        if seed is not None:
            update["seed"] = seed
        scenario = Scenario.model_validate({**scenario.model_dump(), **update})
    ds = ds if ds is not None else load_dataset()
    mi = prepare_cached(scenario, ds, source)
    if transform is not None:
        mi = transform(mi)
    n, s = scenario.samples, scenario.seed
    bounds = block_bounds(n)
    need = estimate_bytes(mi, n, keep)
    if stream is None:
        stream = need > memory_budget
    out_path = Path(out) if out is not None else None
    if out_path is not None and out_path.suffix not in (".nc", ".zarr"):
        raise DataError([Problem(str(out_path), None, "out", "a .nc or .zarr file name",
                                 out_path.suffix or "(no extension)")])  # fmt: skip
    attrs = _attrs(mi, n, s, keep, ds)
    done = 0
    if keep == "stats":
        return _simulate_stats(mi, s, bounds, workers, scheduler, out_path, threshold, attrs,
                               progress)  # fmt: skip
    if not stream and not (scheduler is not None and out_path is not None):
        # Filled in place block by block: no second copy as a concat would make.
        arrays = _allocate(mi, n, keep)
        for lo, hi, res in _blocks(mi, s, bounds, keep, workers, scheduler):
            for k, v in res.items():
                arrays[k][lo:hi] = v
            del res
            done += 1
            if progress:
                progress(done, len(bounds))
        data = {k: (_dims(k), v, {"units": UNITS[k]}) for k, v in arrays.items()}
        result = xr.Dataset(data, coords=_coords(mi, 0, n))
        result.attrs.update(attrs)
        if out_path is not None:
            write(result, out_path)
        return result
    # Streaming: a Zarr store written block by block (region writes), renamed when complete.
    # With an output file on a Dask cluster the workers write their blocks themselves (the
    # file's folder must be one they share); otherwise this process writes what it gets.
    target = out_path if out_path is not None and out_path.suffix == ".zarr" else None
    tmpdir = Path(tempfile.mkdtemp(prefix="critmin-sim-", dir=_tmp_parent(out_path)))
    store = tmpdir / "results.zarr"
    _template(mi, n, keep, attrs).to_zarr(store, compute=False, mode="w", consolidated=False)
    remote = str(store) if scheduler is not None and out_path is not None else None
    for lo, hi, res in _blocks(mi, s, bounds, keep, workers, scheduler, remote):
        if remote is None:
            _write_block(mi, str(store), res, lo, hi)
        done += 1
        if progress:
            progress(done, len(bounds))
    return _finish_store(tmpdir, store, target, out_path)


def _finish_store(
    tmpdir: Path, store: Path, target: Path | None, out_path: Path | None
) -> xr.Dataset:
    """Move a complete store into place (or convert it to NetCDF) and open it lazily."""
    if target is not None:
        _replace(store, target)
        shutil.rmtree(tmpdir, ignore_errors=True)
        return xr.open_zarr(target, consolidated=False)
    lazy = xr.open_zarr(store, consolidated=False)
    if out_path is not None:  # .nc: convert chunk by chunk, then read from the NetCDF file
        write(lazy, out_path)
        lazy.close()
        shutil.rmtree(tmpdir, ignore_errors=True)
        return xr.open_dataset(out_path, engine="h5netcdf", chunks={"sample": BLOCK})
    # No output file: the temporary store stays for the lazy Dataset and goes at exit.
    atexit.register(shutil.rmtree, tmpdir, True)
    return lazy


def _simulate_stats(
    mi: MarketInputs,
    seed: int,
    bounds: list[tuple[int, int, int]],
    workers: int,
    scheduler: str | None,
    out_path: Path | None,
    threshold: float,
    attrs: dict[str, Any],
    progress: Progress | None,
) -> xr.Dataset:
    """``keep="stats"``: the summary statistics as a Dataset (one value per mineral); with
    ``out``, the per-sample reductions written by whoever computed them (region writes)."""
    from critmin.sim.summary import _bound

    n = bounds[-1][2]
    probe = xr.Dataset(coords={"mineral": list(mi.minerals)},
                       attrs={"parameters": attrs["parameters"]})  # fmt: skip
    store = tmpdir = None
    if out_path is not None:
        tmpdir = Path(tempfile.mkdtemp(prefix="critmin-sim-", dir=_tmp_parent(out_path)))
        store = tmpdir / "results.zarr"
        tmpl = _template(mi, n, "stats", attrs)
        tmpl.to_zarr(store, compute=False, mode="w", consolidated=False)
    stats = _run_stats(mi, seed, bounds, workers, scheduler, None if store is None else str(store),
                       threshold, _bound(probe), progress)  # fmt: skip
    result = _stats_dataset(mi, stats, attrs, threshold)
    if out_path is not None and tmpdir is not None and store is not None:
        target = out_path if out_path.suffix == ".zarr" else None
        _finish_store(tmpdir, store, target, out_path).close()
    return result


def _tmp_parent(out: Path | None) -> str | None:
    # Beside the output so the final rename stays on one filesystem.
    return str(out.resolve().parent) if out is not None else None


def _variables(keep: Keep) -> list[str]:
    if keep in ("reduced", "stats"):
        return list(UNITS)[len(OUTPUTS) + 1 :]
    full = ["shortfall", "price_index"] if keep == "summary" else [*OUTPUTS, "ai_output"]
    return list(dict.fromkeys(full + list(UNITS)[len(OUTPUTS) + 1 :]))


def _dtype(keep: Keep, name: str) -> type:
    return np.float32 if keep == "summary" and name in ("shortfall", "price_index") else float


def _sizes(mi: MarketInputs, n: int) -> dict[str, int]:
    T, M = mi.shape
    return {
        "sample": n,
        "year": T,
        "mineral": M,
        "component": len(mi.components),
        "rule": len(RULES),
    }


def _allocate(mi: MarketInputs, n: int, keep: Keep) -> dict[str, np.ndarray]:
    sizes = _sizes(mi, n)
    return {
        k: np.empty(tuple(sizes[d] for d in _dims(k)), dtype=_dtype(keep, k))
        for k in _variables(keep)
    }


def _template(mi: MarketInputs, n: int, keep: Keep, attrs: dict[str, Any]) -> xr.Dataset:
    import dask.array as da

    sizes = _sizes(mi, n)
    data = {}
    for k in _variables(keep):
        dims = _dims(k)
        dtype = _dtype(keep, k)
        chunks = tuple(BLOCK if d == "sample" else sizes[d] for d in dims)
        arr = da.zeros(tuple(sizes[d] for d in dims), chunks=chunks, dtype=dtype)
        data[k] = (dims, arr, {"units": UNITS[k]})
    ds = xr.Dataset(data, coords=_coords(mi, 0, n))
    ds.attrs.update(attrs)
    return ds


def _replace(src: Path, dst: Path) -> None:
    if dst.exists():
        old = dst.with_name(dst.name + ".old")
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dst)


def write(result: xr.Dataset, path: str | Path) -> Path:
    """Write results atomically (temporary name, then rename): ``.nc`` or ``.zarr``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    try:
        if path.suffix == ".zarr":
            result.to_zarr(tmp, mode="w", consolidated=False)
        else:
            result.to_netcdf(tmp, engine="h5netcdf")
        _replace(tmp, path)
    except BaseException:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink()
        raise
    return path
