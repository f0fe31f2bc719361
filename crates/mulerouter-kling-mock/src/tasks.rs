//! Tasks and their lifecycle: pending → processing → completed (or failed), on a clock, on
//! each poll, or only when a test says so; finished tasks evicted after a TTL, all of them
//! bounded by a cap.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use mulerouter_kling::types::CreateGenerationRequest;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Caller;

/// When tasks move on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Timing {
    /// On the clock: `pending` for the first duration, then `processing` for the second, then
    /// finished. Like the real service, only faster (or slower) as you choose.
    WallClock {
        /// How long a new task stays `pending`.
        pending: Duration,
        /// How long it then stays `processing`.
        processing: Duration,
    },
    /// Each read of a task (`GET …/{task_id}`) moves it one step before answering: the first
    /// read says `processing`, the second `completed`. Deterministic, and the default.
    #[default]
    PerPoll,
    /// Tasks stay `pending` until the test calls [`advance`], [`complete`] or [`fail`] (or a
    /// request says `Prefer: example=…`).
    ///
    /// [`advance`]: crate::MockCore::advance
    /// [`complete`]: crate::MockCore::complete
    /// [`fail`]: crate::MockCore::fail
    Manual,
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    Pending,
    Processing,
    Finished,
}

/// Why a task failed: the `task_info.error` of a failed task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: i64,
    pub(crate) title: String,
    pub(crate) detail: String,
}

/// A task as answered at one moment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) id: Uuid,
    pub(crate) step: Step,
    /// `Some` when the task finished (or will finish) without a result.
    pub(crate) failure: Option<Failure>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl Snapshot {
    /// The status spelling the service uses for this state.
    pub(crate) fn status(&self) -> &'static str {
        match (self.step, &self.failure) {
            (Step::Pending, _) => "pending",
            (Step::Processing, _) => "processing",
            (Step::Finished, None) => "completed",
            (Step::Finished, Some(_)) => "failed",
        }
    }
}

struct Task {
    snapshot: Snapshot,
    born: Instant,
    /// When the task finished, for the TTL.
    finished: Option<Instant>,
    /// Its key in [`Store::expiries`], when it has one.
    expires: Option<Instant>,
    /// The create request's JSON body and, if the caller had it, its typed form; recorded
    /// only when requests are recorded. Boxed: most tasks carry none.
    request: Option<Box<Recorded>>,
    /// The answer body of a read, rendered once per step: a task's answer changes only when
    /// its step does (a failure is set together with the step to `Finished`).
    answer: Option<(Step, Bytes)>,
    /// Who created it, for a reset scoped to a key.
    owner: Option<Caller>,
}

/// A recorded create request.
type Recorded = (Value, Option<CreateGenerationRequest>);

/// Settings of the store.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) clock: crate::clock::Clock,
    pub(crate) timing: Timing,
    pub(crate) ttl: Duration,
    pub(crate) max_tasks: usize,
    pub(crate) record_requests: bool,
}

/// Every task the mock knows, behind one lock.
pub(crate) struct Tasks {
    limits: Limits,
    inner: Mutex<Store>,
}

/// The tasks, and what finds the ones to evict without looking at the others, so that a
/// sweep costs what it evicts however many tasks are held. On the wall clock every task
/// finishes a fixed time after it was created, so tasks that finish by the clock expire in
/// creation order: the front of `order` says which are due. Every other finished task (in
/// the other timings, or finished early by a test, a fault or `Prefer`) has an entry in
/// `expiries`.
struct Store {
    tasks: HashMap<Uuid, Task, BuildHasherDefault<IdHasher>>,
    /// Ids in creation order, for `created_requests`, the cap and wall-clock expiry. Ids of
    /// tasks evicted out of order are dropped lazily (see [`Tasks::sweep`]).
    order: VecDeque<Uuid>,
    /// `(eviction time, id)` of the finished tasks whose eviction time is not the wall clock's
    /// schedule.
    expiries: BTreeSet<(Instant, Uuid)>,
    /// When `order` may next be compacted.
    next_sweep: Instant,
    /// Tasks evicted by the cap before they finished, for the warning.
    evicted_running: u64,
    /// Tasks evicted by the cap, finished or not, for the 404 of a read that comes too late.
    evicted: u64,
    /// When every task was last deleted (a reset), for the 404 of a read of one of them.
    cleared_at: Option<SystemTime>,
}

/// Why a task a client was given may be unknown now, beyond never having been created or
/// having expired: what a 404 says, so that a suite sharing the mock learns that another
/// suite's reset, or a burst past the cap, took its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gone {
    /// Tasks the cap has evicted since the start.
    pub(crate) evicted: u64,
    /// When every task was last deleted, if ever.
    pub(crate) cleared_at: Option<SystemTime>,
}

/// Hashes task ids. The mock draws them at random (`fastrand`, not cryptographic: nothing
/// depends on ids being unguessable in a mock), so their bits are already spread evenly and
/// a multiply per word mixes enough; SipHash's defence against keys chosen to collide is not
/// needed, as requests only look ids up (and the map grows and shrinks by the hundred
/// thousand under load, rehashing every id each time).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// At most this often `order` is compacted when TTL evictions left many stale ids in it.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Tasks {
    pub(crate) fn new(limits: Limits) -> Self {
        let next_sweep = limits.clock.now() + SWEEP_EVERY;
        Self {
            limits,
            inner: Mutex::new(Store {
                tasks: HashMap::default(),
                order: VecDeque::new(),
                expiries: BTreeSet::new(),
                next_sweep,
                evicted_running: 0,
                evicted: 0,
                cleared_at: None,
            }),
        }
    }

    /// How long a finished task stays readable.
    pub(crate) fn ttl(&self) -> Duration {
        self.limits.ttl
    }

    /// The most tasks held.
    pub(crate) fn max_tasks(&self) -> usize {
        self.limits.max_tasks
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not take the mock down with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a pending task; `failure` makes it fail instead of completing. `typed` is the
    /// body's typed form if the caller has it; otherwise it is derived from `body` only when
    /// [`created_requests`](Self::created_requests) asks.
    pub(crate) fn create(
        &self,
        body: Value,
        typed: Option<CreateGenerationRequest>,
        failure: Option<Failure>,
        owner: Option<Caller>,
    ) -> Snapshot {
        let now = now();
        let snapshot = Snapshot {
            id: new_id(),
            step: Step::Pending,
            failure,
            created_at: now,
            updated_at: now,
        };
        let request = self.limits.record_requests.then(|| Box::new((body, typed)));
        let mut store = self.lock();
        let born = self.limits.clock.now();
        self.sweep(&mut store, born);
        let Store {
            tasks,
            order,
            expiries,
            evicted_running,
            evicted: evicted_count,
            ..
        } = &mut *store;
        // Born under the lock: creation order is then `born` order, which the wall-clock
        // expiry relies on.
        let task = Task {
            snapshot: snapshot.clone(),
            born,
            finished: None,
            expires: None,
            request,
            answer: None,
            owner,
        };
        tasks.insert(snapshot.id, task);
        order.push_back(snapshot.id);
        while tasks.len() > self.limits.max_tasks {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            let Some(evicted) = tasks.remove(&oldest) else {
                continue;
            };
            *evicted_count += 1;
            if let Some(at) = evicted.expires {
                expiries.remove(&(at, oldest));
            }
            let finished_by_clock = self
                .finishes_by_clock(evicted.born)
                .is_some_and(|at| at <= born);
            if evicted.finished.is_none() && !finished_by_clock {
                *evicted_running += 1;
                // Its client will read 404 mid-wait: said, but not once per create of a burst.
                if *evicted_running == 1 || evicted_running.is_multiple_of(1000) {
                    tracing::warn!(
                        "the task cap (--max-tasks {}) evicted a task still running ({} so far): whoever waits for it reads 404; raise the cap for bursts this large",
                        self.limits.max_tasks,
                        evicted_running
                    );
                }
            }
        }
        snapshot
    }

    /// A task read by a client: in [`Timing::PerPoll`] it moves one step first.
    #[cfg(test)]
    pub(crate) fn poll(&self, id: Uuid) -> Option<Snapshot> {
        Some(self.read(&mut self.lock(), id, true)?.snapshot.clone())
    }

    /// The task's state without moving it (beyond the clock).
    pub(crate) fn peek(&self, id: Uuid) -> Option<Snapshot> {
        Some(self.read(&mut self.lock(), id, false)?.snapshot.clone())
    }

    /// [`poll`](Self::poll) (`moves`) or [`peek`](Self::peek), answered with the task's
    /// body as `render` writes it. The body is kept until the task's step changes, so a
    /// client polling a task pays for rendering once per step.
    pub(crate) fn answer(
        &self,
        id: Uuid,
        moves: bool,
        render: impl FnOnce(&Snapshot) -> Vec<u8>,
    ) -> Option<Bytes> {
        let mut store = self.lock();
        let task = self.read(&mut store, id, moves)?;
        let step = task.snapshot.step;
        match &task.answer {
            Some((rendered, body)) if *rendered == step => Some(body.clone()),
            _ => {
                let body = Bytes::from(render(&task.snapshot));
                task.answer = Some((step, body.clone()));
                Some(body)
            }
        }
    }

    /// The task brought up to the clock; a read by a client (`moves`) sweeps first and, in
    /// [`Timing::PerPoll`], moves it one step.
    fn read<'s>(&self, store: &'s mut Store, id: Uuid, moves: bool) -> Option<&'s mut Task> {
        // One clock read per request: the sweep, catching up and the change see one moment.
        let now = self.limits.clock.now();
        if moves {
            self.sweep(store, now);
        }
        let per_poll = moves && self.limits.timing == Timing::PerPoll;
        self.changed_task(store, id, now, |task, now| {
            if per_poll {
                step(task, next(task.snapshot.step), now);
            }
        })
    }

    /// Moves the task one step.
    pub(crate) fn advance(&self, id: Uuid) -> Option<Snapshot> {
        self.update(id, |task, now| step(task, next(task.snapshot.step), now))
    }

    /// Moves an unfinished task to `processing`.
    pub(crate) fn start(&self, id: Uuid) -> Option<Snapshot> {
        self.update(id, |task, now| step(task, Step::Processing, now))
    }

    /// Finishes an unfinished task with its result.
    pub(crate) fn complete(&self, id: Uuid) -> Option<Snapshot> {
        self.update(id, |task, now| {
            if task.snapshot.step < Step::Finished {
                task.snapshot.failure = None;
                step(task, Step::Finished, now);
            }
        })
    }

    /// Finishes an unfinished task with `failure`.
    pub(crate) fn fail(&self, id: Uuid, failure: Failure) -> Option<Snapshot> {
        self.update(id, |task, now| {
            if task.snapshot.step < Step::Finished {
                task.snapshot.failure = Some(failure);
                step(task, Step::Finished, now);
            }
        })
    }

    fn update(&self, id: Uuid, change: impl FnOnce(&mut Task, Instant)) -> Option<Snapshot> {
        self.with_task(&mut self.lock(), id, change)
    }

    /// Brings the task up to the clock, applies `change`, and keeps its eviction time right.
    fn with_task(
        &self,
        store: &mut Store,
        id: Uuid,
        change: impl FnOnce(&mut Task, Instant),
    ) -> Option<Snapshot> {
        let now = self.limits.clock.now();
        Some(self.changed_task(store, id, now, change)?.snapshot.clone())
    }

    /// [`with_task`](Self::with_task), giving the task itself.
    fn changed_task<'s>(
        &self,
        store: &'s mut Store,
        id: Uuid,
        now: Instant,
        change: impl FnOnce(&mut Task, Instant),
    ) -> Option<&'s mut Task> {
        let task = store.tasks.get_mut(&id)?;
        self.catch_up(task, now);
        change(task, now);
        self.schedule(&mut store.expiries, id, task);
        Some(task)
    }

    /// Every create request still held, oldest first: the JSON body and its typed form
    /// (`None` when the body does not fit the client's type).
    pub(crate) fn created_requests(&self) -> Vec<(Value, Option<CreateGenerationRequest>)> {
        let recorded: Vec<Recorded> = {
            let store = self.lock();
            store
                .order
                .iter()
                .filter_map(|id| Some(store.tasks.get(id)?.request.as_deref()?.clone()))
                .collect()
        };
        recorded
            .into_iter()
            .map(|(body, typed)| {
                let typed = typed.or_else(|| {
                    let typed = serde_json::from_value(body.clone()).ok();
                    if typed.is_none() {
                        tracing::warn!(
                            "a create request valid for the document does not fit the client's type"
                        );
                    }
                    typed
                });
                (body, typed)
            })
            .collect()
    }

    /// The body of the create that made `id`, if it is held and was recorded.
    pub(crate) fn created_request_body(&self, id: Uuid) -> Option<Value> {
        let store = self.lock();
        Some(store.tasks.get(&id)?.request.as_deref()?.0.clone())
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().tasks.len()
    }

    /// One page of the tasks `keep` selects, newest first, each brought up to the clock (not
    /// moved otherwise), and how many it selects in all. Only the page is copied.
    ///
    /// Without `keep` every task counts, so the total is known without looking and only the
    /// page is visited: the inspector page lists the newest hundred every second, and a walk
    /// over 100 000 tasks under the lock every request needs would hold each of them up.
    pub(crate) fn page(
        &self,
        keep: Option<&dyn Fn(&Snapshot) -> bool>,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Snapshot>) {
        let mut store = self.lock();
        let now = self.limits.clock.now();
        self.sweep(&mut store, now);
        let Store {
            tasks,
            order,
            expiries,
            ..
        } = &mut *store;
        let mut total = 0;
        let mut shown = Vec::with_capacity(limit.min(tasks.len()));
        for id in order.iter().rev() {
            if keep.is_none() && shown.len() == limit {
                return (tasks.len(), shown);
            }
            let Some(task) = tasks.get_mut(id) else {
                continue;
            };
            self.catch_up(task, now);
            self.schedule(expiries, *id, task);
            if keep.is_none_or(|keep| keep(&task.snapshot)) {
                if total >= offset && shown.len() < limit {
                    shown.push(task.snapshot.clone());
                }
                total += 1;
            }
        }
        (total, shown)
    }

    /// Forgets every task; says how many there were.
    pub(crate) fn clear(&self) -> usize {
        let mut store = self.lock();
        let held = store.tasks.len();
        store.tasks.clear();
        store.order.clear();
        store.expiries.clear();
        store.cleared_at = Some(SystemTime::now());
        held
    }

    /// Forgets the tasks `owner` created; says how many there were. The others stay, and
    /// so does the creation order (its ids of tasks gone are dropped lazily, as after expiry).
    pub(crate) fn clear_owned_by(&self, owner: Caller) -> usize {
        let mut store = self.lock();
        let Store {
            tasks,
            expiries,
            cleared_at,
            ..
        } = &mut *store;
        let held = tasks.len();
        tasks.retain(|id, task| {
            let theirs = task.owner == Some(owner);
            if theirs && let Some(at) = task.expires {
                expiries.remove(&(at, *id));
            }
            !theirs
        });
        *cleared_at = Some(SystemTime::now());
        held - tasks.len()
    }

    /// What took tasks away besides expiry: the cap, and the last time all were deleted.
    pub(crate) fn gone(&self) -> Gone {
        let store = self.lock();
        Gone {
            evicted: store.evicted,
            cleared_at: store.cleared_at,
        }
    }

    /// On the wall clock, moves the task to where its age says it is.
    fn catch_up(&self, task: &mut Task, now: Instant) {
        let Timing::WallClock {
            pending,
            processing,
        } = self.limits.timing
        else {
            return;
        };
        let age = now.saturating_duration_since(task.born);
        let (due, at) = if age >= pending + processing {
            (Step::Finished, pending + processing)
        } else if age >= pending {
            (Step::Processing, pending)
        } else {
            return;
        };
        if due > task.snapshot.step {
            task.snapshot.step = due;
            task.snapshot.updated_at = task.snapshot.created_at
                + chrono::Duration::from_std(at).unwrap_or(chrono::Duration::zero());
            if due == Step::Finished {
                task.finished = Some(task.born + at);
            }
        }
    }

    /// On the wall clock, when a task created at `born` finishes by the clock.
    fn finishes_by_clock(&self, born: Instant) -> Option<Instant> {
        let Timing::WallClock {
            pending,
            processing,
        } = self.limits.timing
        else {
            return None;
        };
        born.checked_add(pending.checked_add(processing)?)
    }

    /// When a task finished by the clock is evicted (`None`: never, or not on the wall clock).
    fn expires_by_clock(&self, born: Instant) -> Option<Instant> {
        self.finishes_by_clock(born)?.checked_add(self.limits.ttl)
    }

    /// The task's entry in `expiries`: its TTL after it finished, unless it finished by the
    /// wall clock (then `order` covers it); `None` while it runs (or beyond what `Instant`
    /// holds).
    fn expiry(&self, task: &Task) -> Option<Instant> {
        let finished = task.finished?;
        if Some(finished) == self.finishes_by_clock(task.born) {
            return None;
        }
        finished.checked_add(self.limits.ttl)
    }

    /// Files the task under its current eviction time.
    fn schedule(&self, expiries: &mut BTreeSet<(Instant, Uuid)>, id: Uuid, task: &mut Task) {
        let expires = self.expiry(task);
        if expires != task.expires {
            if let Some(old) = task.expires {
                expiries.remove(&(old, id));
            }
            if let Some(new) = expires {
                expiries.insert((new, id));
            }
            task.expires = expires;
        }
    }

    /// Evicts the tasks whose TTL has run out since they finished: those filed under an
    /// eviction time that has passed, and on the wall clock those at the front of `order`
    /// created long enough ago.
    fn sweep(&self, store: &mut Store, now: Instant) {
        let Store {
            tasks,
            order,
            expiries,
            next_sweep,
            ..
        } = store;
        let mut out_of_order = false;
        while let Some(&(at, id)) = expiries.first() {
            if at > now {
                break;
            }
            expiries.pop_first();
            tasks.remove(&id);
            out_of_order = true;
        }
        while let Some(id) = order.front() {
            match tasks.get(id) {
                // Evicted already (above, or earlier).
                None => {}
                Some(task) if self.expires_by_clock(task.born).is_some_and(|at| at <= now) => {
                    if let Some(at) = task.expires {
                        expiries.remove(&(at, *id));
                    }
                    tasks.remove(id);
                }
                Some(_) => break,
            }
            order.pop_front();
        }
        // Tasks that expired out of creation order leave their ids in `order`: compact it when
        // they pile up.
        if out_of_order && order.len() > 2 * tasks.len() + 1024 && now >= *next_sweep {
            *next_sweep = now + SWEEP_EVERY;
            order.retain(|id| tasks.contains_key(id));
        }
    }
}

/// The time now, to the microsecond: what the service sends, so the in-process view of a
/// task equals what a client parses.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn next(step: Step) -> Step {
    match step {
        Step::Pending => Step::Processing,
        Step::Processing | Step::Finished => Step::Finished,
    }
}

/// A new random (version 4) task id, from a fast thread-local generator rather than a
/// system call per id.
pub(crate) fn new_id() -> Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// Moves forward to `to` (never back), stamping `updated_at`.
fn step(task: &mut Task, to: Step, at: Instant) {
    if to <= task.snapshot.step {
        return;
    }
    task.snapshot.step = to;
    task.snapshot.updated_at = now().max(task.snapshot.created_at);
    if to == Step::Finished {
        task.finished = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(timing: Timing) -> Tasks {
        Tasks::new(Limits {
            clock: crate::clock::Clock::System,
            timing,
            ttl: Duration::from_secs(3600),
            max_tasks: 3,
            record_requests: true,
        })
    }

    /// Finished tasks are due for eviction at once; room for ten.
    fn expiring_at_once(timing: Timing) -> Tasks {
        Tasks::new(Limits {
            clock: crate::clock::Clock::System,
            timing,
            ttl: Duration::ZERO,
            max_tasks: 10,
            record_requests: false,
        })
    }

    #[test]
    fn per_poll_moves_one_step_per_read_and_stops_at_the_end() {
        let tasks = tasks(Timing::PerPoll);
        let id = tasks.create(Value::Null, None, None, None).id;
        let statuses: Vec<_> = (0..3).map(|_| tasks.poll(id).unwrap().status()).collect();
        assert_eq!(statuses, ["processing", "completed", "completed"]);
    }

    #[test]
    fn a_read_renders_the_answer_once_per_step_and_again_when_the_task_moves() {
        // Arrange
        let tasks = tasks(Timing::Manual);
        let id = tasks.create(Value::Null, None, None, None).id;
        let renders = std::cell::Cell::new(0);
        let read = || {
            tasks.answer(id, true, |task| {
                renders.set(renders.get() + 1);
                task.status().as_bytes().to_vec()
            })
        };

        // Act
        let first = read().unwrap();
        let again = read().unwrap();
        tasks.advance(id);
        let moved = read().unwrap();

        // Assert
        assert_eq!((&first[..], &again[..]), (&b"pending"[..], &b"pending"[..]));
        assert_eq!(&moved[..], b"processing");
        assert_eq!(renders.get(), 2);
        assert!(tasks.answer(new_id(), true, |_| Vec::new()).is_none());
    }

    #[test]
    fn manual_tasks_wait_for_the_test() {
        let tasks = tasks(Timing::Manual);
        let id = tasks.create(Value::Null, None, None, None).id;
        assert_eq!(tasks.poll(id).unwrap().status(), "pending");
        assert_eq!(tasks.advance(id).unwrap().status(), "processing");
        let failure = Failure {
            code: 3005,
            title: "t".into(),
            detail: "d".into(),
        };
        assert_eq!(tasks.fail(id, failure).unwrap().status(), "failed");
        assert_eq!(
            tasks.complete(id).unwrap().status(),
            "failed",
            "a finished task stays finished"
        );
    }

    #[test]
    fn the_wall_clock_moves_tasks_and_stamps_the_transition_time() {
        let tasks = tasks(Timing::WallClock {
            pending: Duration::ZERO,
            processing: Duration::ZERO,
        });
        let created = tasks.create(Value::Null, None, None, None);
        let read = tasks.poll(created.id).unwrap();
        assert_eq!(read.status(), "completed");
        assert_eq!(read.updated_at, created.created_at);
    }

    #[test]
    fn a_page_without_a_filter_counts_every_task_and_shows_the_newest_after_the_offset() {
        let tasks = tasks(Timing::Manual);
        let ids: Vec<_> = (0..3)
            .map(|_| tasks.create(Value::Null, None, None, None).id)
            .collect();

        let (total, page) = tasks.page(None, 1, 1);
        let pending = |task: &Snapshot| task.step == Step::Pending;
        let (filtered, all) = tasks.page(Some(&pending), 0, 10);

        assert_eq!(total, 3);
        assert_eq!(page.iter().map(|t| t.id).collect::<Vec<_>>(), [ids[1]]);
        assert_eq!((filtered, all.len()), (3, 3));
    }

    #[test]
    fn the_cap_evicts_the_oldest_tasks() {
        let tasks = tasks(Timing::Manual);
        let ids: Vec<_> = (0..5)
            .map(|_| tasks.create(Value::Null, None, None, None).id)
            .collect();
        assert_eq!(tasks.len(), 3);
        assert!(tasks.peek(ids[0]).is_none() && tasks.peek(ids[1]).is_none());
        assert!(tasks.peek(ids[4]).is_some());
        assert_eq!(tasks.created_requests().len(), 3);
    }

    #[test]
    fn on_the_wall_clock_tasks_go_in_creation_order_once_their_ttl_has_run_out() {
        let tasks = expiring_at_once(Timing::WallClock {
            pending: Duration::ZERO,
            processing: Duration::ZERO,
        });
        let first = tasks.create(Value::Null, None, None, None).id;
        let second = tasks.create(Value::Null, None, None, None).id;
        assert!(tasks.peek(first).is_none(), "evicted by the next create");
        assert!(tasks.peek(second).is_some(), "a peek does not sweep");
        assert!(tasks.poll(second).is_none(), "a read sweeps first");
        assert_eq!(tasks.len(), 0);
        assert!(tasks.lock().order.is_empty());
    }

    #[test]
    fn a_task_finished_early_goes_before_the_clock_would_evict_it() {
        let tasks = expiring_at_once(Timing::WallClock {
            pending: Duration::from_secs(3600),
            processing: Duration::from_secs(3600),
        });
        let waiting = tasks.create(Value::Null, None, None, None).id;
        let failed = tasks.create(Value::Null, None, None, None).id;
        tasks.fail(failed, crate::faults::failure(3001));
        tasks.create(Value::Null, None, None, None);
        assert!(tasks.peek(failed).is_none());
        assert!(tasks.peek(waiting).is_some());
        assert!(tasks.lock().expiries.is_empty());
    }

    #[test]
    fn the_cap_drops_the_eviction_entry_of_the_task_it_evicts() {
        let tasks = tasks(Timing::Manual);
        let done = tasks.create(Value::Null, None, None, None).id;
        tasks.complete(done);
        assert_eq!(tasks.lock().expiries.len(), 1);
        for _ in 0..3 {
            tasks.create(Value::Null, None, None, None);
        }
        assert!(tasks.peek(done).is_none());
        assert!(tasks.lock().expiries.is_empty());
    }

    #[test]
    fn finished_tasks_go_after_their_ttl() {
        let tasks = expiring_at_once(Timing::Manual);
        let done = tasks.create(Value::Null, None, None, None).id;
        let open = tasks.create(Value::Null, None, None, None).id;
        tasks.complete(done);
        tasks.lock().next_sweep = tasks.limits.clock.now();
        tasks.create(Value::Null, None, None, None);
        assert!(tasks.peek(done).is_none());
        assert!(tasks.peek(open).is_some());
        assert!(
            tasks.created_requests().is_empty(),
            "nothing recorded when disabled"
        );
    }
}
