// Helper threads that let one media thread spread a tick's independent work (a room's Opus
// encodes, its legs' sends) over the machine's other cores. In ParallelFor the calling thread
// works too and returns only when every task is done, so a tick stays one tick. A batch can also
// be started and finished later (Start/Finish), so helpers work while the caller goes on; Finish
// runs whatever no helper has claimed, so it never waits on a helper that has not begun. Callers
// wait on counters, never on a lock another thread holds across a task.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace confmix::io {

/** A fixed set of helper threads running batches of tasks for callers that also work. */
class WorkerPool {
 public:
  /** One task: `index` in [0, count), run on the thread numbered `slot` (0 is the caller, 1..
   *  workers() the helpers), so a task can use per-slot scratch without locking. */
  using TaskFn = void (*)(void* context, size_t index, size_t slot);

  /** The process's pool: one helper per core beyond the first (none on one core), started on
   *  first use and shared by every media thread of the process. */
  static WorkerPool& Shared();

  /** Starts `workers` helper threads. */
  explicit WorkerPool(size_t workers);
  /** Stops and joins the helpers (no batch may be running). */
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /** Helper threads (slots 1..workers()). */
  size_t workers() const { return threads_.size(); }
  /** A batch of tasks in flight between Start and Finish; owned by the caller. */
  class Batch {
   public:
    Batch() = default;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    /** True between Start and Finish. */
    bool started() const { return started_; }

   private:
    friend class WorkerPool;
    TaskFn fn_ = nullptr;
    void* context_ = nullptr;
    size_t count_ = 0;
    bool started_ = false;
    std::atomic<size_t> next_{0};  // the next index to claim
    std::atomic<size_t> done_{0};  // indices finished
    std::atomic<int> users_{0};    // helpers inside the batch
  };

  /** Runs fn(context, i, slot) for every i in [0, count) on this thread and idle helpers, and
   *  returns when all have run. Several threads may call it at once. */
  void ParallelFor(size_t count, TaskFn fn, void* context);
  /** Hands fn(context, i, slot) for i in [0, count) to the helpers and returns at once; with no
   *  helpers, runs them here first. `batch` (and what `context` points to) must live until
   *  Finish(batch). */
  void Start(Batch& batch, size_t count, TaskFn fn, void* context);
  /** Runs the tasks of a started batch that no helper has claimed (as slot 0), waits for those
   *  running, and ends the batch. Does nothing for a batch not started. */
  void Finish(Batch& batch);
  /** The same for any callable `task(index, slot)`, without allocating. */
  template <typename Task>
  void ParallelFor(size_t count, Task& task) {
    ParallelFor(count, [](void* context, size_t index, size_t slot) { (*static_cast<Task*>(context))(index, slot); },
                &task);
  }

  /** ParallelFor when `spread` (the tasks outweigh waking a helper), else every task on this
   *  thread as slot 0. */
  template <typename Task>
  void Run(size_t count, bool spread, Task& task) {
    if (spread) {
      ParallelFor(count, task);
      return;
    }
    for (size_t i = 0; i < count; ++i) task(i, size_t{0});
  }

  /** Runs the helpers under SCHED_FIFO at `priority` (if higher than now): a real-time media
   *  thread that waits on a helper must not wait behind ordinary threads. False if refused. */
  bool RaiseToRealtime(int priority);
  /** The helpers' real-time priority (0: ordinary threads). */
  int realtime_priority() const { return realtime_priority_.load(std::memory_order_relaxed); }

  /** Tasks the helpers ran (the rest ran on their callers). */
  uint64_t helped() const { return helped_.load(std::memory_order_relaxed); }

 private:
  void Queue(Batch& batch, size_t count, TaskFn fn, void* context, size_t helpers_wanted);
  static void RunSome(Batch& batch, size_t slot, uint64_t* ran);
  void Work(size_t slot);

  std::mutex mutex_;  // guards queue_ and stopping_ only; never held while a task runs
  std::condition_variable wake_;
  std::deque<Batch*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> helped_{0};
  std::mutex priority_mutex_;
  std::atomic<int> realtime_priority_{0};
};

}  // namespace confmix::io
