#include "core/io/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "core/io/tick_clock.h"

namespace confmix::io {

namespace {

// A caller whose own share is done waits for tasks already running elsewhere (tens of µs):
// spin briefly, then sleep in short naps. Not sched_yield: a real-time media thread would keep
// its core while a helper it waits for sits preempted on another.
constexpr int kSpinsBeforeNap = 256;
constexpr auto kNap = std::chrono::microseconds(20);

}  // namespace

WorkerPool& WorkerPool::Shared() {
  // Never destroyed: a media thread may still tick while the process runs its exit handlers.
  static WorkerPool* const pool = [] {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return new WorkerPool(cores - 1);
  }();
  return *pool;
}

WorkerPool::WorkerPool(size_t workers) {
  threads_.reserve(workers);
  for (size_t slot = 1; slot <= workers; ++slot) {
    try {
      threads_.emplace_back([this, slot] { Work(slot); });
    } catch (...) {
      break;  // fewer helpers: the callers do more themselves
    }
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool WorkerPool::RaiseToRealtime(int priority) {
  std::lock_guard<std::mutex> lock(priority_mutex_);
  if (priority <= realtime_priority_.load(std::memory_order_relaxed)) return true;
  sched_param param{};
  param.sched_priority = priority;
  for (std::thread& thread : threads_) {
    if (pthread_setschedparam(thread.native_handle(), SCHED_FIFO, &param) != 0) return false;
  }
  realtime_priority_.store(priority, std::memory_order_relaxed);
  return true;
}

void WorkerPool::RunSome(Batch& batch, size_t slot, uint64_t* ran) {
  for (;;) {
    const size_t index = batch.next_.fetch_add(1, std::memory_order_relaxed);
    if (index >= batch.count_) return;
    batch.fn_(batch.context_, index, slot);
    ++*ran;
    batch.done_.fetch_add(1, std::memory_order_release);
  }
}

void WorkerPool::Queue(Batch& batch, size_t count, TaskFn fn, void* context, size_t helpers_wanted) {
  batch.fn_ = fn;
  batch.context_ = context;
  batch.count_ = count;
  batch.next_.store(0, std::memory_order_relaxed);
  batch.done_.store(0, std::memory_order_relaxed);
  batch.started_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(&batch);
  }
  if (helpers_wanted >= threads_.size()) {
    wake_.notify_all();
  } else {
    for (size_t i = 0; i < helpers_wanted; ++i) wake_.notify_one();
  }
}

void WorkerPool::ParallelFor(size_t count, TaskFn fn, void* context) {
  if (count == 0) return;
  if (threads_.empty() || count == 1) {
    for (size_t i = 0; i < count; ++i) fn(context, i, 0);
    return;
  }
  Batch batch;
  Queue(batch, count, fn, context, count - 1);  // the caller takes a share itself
  Finish(batch);
}

void WorkerPool::Start(Batch& batch, size_t count, TaskFn fn, void* context) {
  if (count == 0) return;
  if (threads_.empty()) {
    for (size_t i = 0; i < count; ++i) fn(context, i, 0);
    return;
  }
  Queue(batch, count, fn, context, count);
}

void WorkerPool::Finish(Batch& batch) {
  if (!batch.started_) return;
  uint64_t ran = 0;
  RunSome(batch, 0, &ran);
  for (int spins = 0; batch.done_.load(std::memory_order_acquire) < batch.count_; ++spins) {
    if (spins < kSpinsBeforeNap) {
      CpuRelax();
    } else {
      std::this_thread::sleep_for(kNap);
    }
  }
  {
    // Once out of the queue no helper can pick the batch up; then wait for any still inside it.
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = std::find(queue_.begin(), queue_.end(), &batch);
    if (found != queue_.end()) queue_.erase(found);
  }
  while (batch.users_.load(std::memory_order_acquire) > 0) std::this_thread::sleep_for(kNap);
  batch.started_ = false;
}

void WorkerPool::Work(size_t slot) {
  pthread_setname_np(pthread_self(), "confmix-worker");
  for (;;) {
    Batch* batch = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch = queue_.front();
      batch->users_.fetch_add(1, std::memory_order_relaxed);
    }
    uint64_t ran = 0;
    RunSome(*batch, slot, &ran);
    if (ran > 0) helped_.fetch_add(ran, std::memory_order_relaxed);
    {
      // Every index is claimed: nobody else needs to find it.
      std::lock_guard<std::mutex> lock(mutex_);
      if (!queue_.empty() && queue_.front() == batch) queue_.pop_front();
    }
    // The last touch: after it the caller may return and free the batch.
    batch->users_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace confmix::io
