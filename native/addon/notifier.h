// A thread-safe function another thread may trigger until it is released or finalized. It is
// unref'd, so it never keeps the process (or a worker) alive. Shared state lives in a
// std::shared_ptr owned by both the JS object and the function, so neither dangles.
#pragma once
#include <node_api.h>

#include <memory>
#include <mutex>

namespace confmix::addon {

/** The thread-safe function's handle, guarded so Notify and Release may race safely. */
struct Notifier {
  std::mutex mutex;
  napi_threadsafe_function function = nullptr;  // null once released or finalized

  /** Queues one call (any thread); nothing once released. */
  void Notify() {
    std::lock_guard<std::mutex> lock(mutex);
    if (function != nullptr) napi_call_threadsafe_function(function, nullptr, napi_tsfn_nonblocking);
  }
  /** Lets the function finalize once the calls already queued have run. */
  void Release() {
    std::lock_guard<std::mutex> lock(mutex);
    if (function == nullptr) return;
    napi_release_threadsafe_function(function, napi_tsfn_release);
    function = nullptr;
  }
};

template <class Shared>
void FinalizeNotifier(napi_env, void* context, void*) {
  auto* shared = static_cast<std::shared_ptr<Shared>*>(context);
  {
    std::lock_guard<std::mutex> lock((*shared)->notifier.mutex);
    (*shared)->notifier.function = nullptr;
  }
  delete shared;
}

/** Creates `shared->notifier`'s function calling `callback` through `call_js`. False when N-API
 *  refused (an exception may be pending). `Shared` must have a `Notifier notifier` member. */
template <class Shared>
bool CreateNotifier(napi_env env, napi_value callback, const char* name, const std::shared_ptr<Shared>& shared,
                    napi_threadsafe_function_call_js call_js) {
  auto* context = new std::shared_ptr<Shared>(shared);
  napi_value name_value = nullptr;
  napi_threadsafe_function function = nullptr;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &name_value) != napi_ok ||
      napi_create_threadsafe_function(env, callback, nullptr, name_value, 0, 1, context, FinalizeNotifier<Shared>,
                                      context, call_js, &function) != napi_ok) {
    delete context;
    return false;
  }
  napi_unref_threadsafe_function(env, function);
  shared->notifier.function = function;
  return true;
}

/** A call_js that calls the callback with no arguments (the JS side then pulls what is new). */
inline void CallWithoutArguments(napi_env env, napi_value callback, void*, void*) {
  if (env == nullptr || callback == nullptr) return;
  napi_value receiver = nullptr;
  napi_get_undefined(env, &receiver);
  napi_call_function(env, receiver, callback, 0, nullptr, nullptr);
}

}  // namespace confmix::addon
