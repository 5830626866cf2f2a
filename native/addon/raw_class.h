// The one way the addons wrap native objects and build results: plain N-API, never
// node-addon-api's ObjectWrap or its throwing setters. While a worker is being terminated, N-API
// calls fail; node-addon-api turns such a failure into a process abort, these return quietly.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "arguments.h"
#include "core/io/socket_address.h"

namespace confmix::addon {

// Builds one plain object with raw N-API calls: while a worker shuts down, setting properties
// fails, and node-addon-api would turn that into a process abort. The first failure sticks.
class JsRecord {
 public:
  explicit JsRecord(napi_env env) : env_(env) { ok_ = napi_create_object(env_, &object_) == napi_ok; }
  JsRecord& Text(const char* key, const char* text) {
    napi_value value = nullptr;
    ok_ = ok_ && napi_create_string_utf8(env_, text, NAPI_AUTO_LENGTH, &value) == napi_ok &&
          napi_set_named_property(env_, object_, key, value) == napi_ok;
    return *this;
  }
  JsRecord& Number(const char* key, double number) {
    napi_value value = nullptr;
    ok_ = ok_ && napi_create_double(env_, number, &value) == napi_ok &&
          napi_set_named_property(env_, object_, key, value) == napi_ok;
    return *this;
  }
  JsRecord& Flag(const char* key, bool flag) {
    napi_value value = nullptr;
    ok_ = ok_ && napi_get_boolean(env_, flag, &value) == napi_ok &&
          napi_set_named_property(env_, object_, key, value) == napi_ok;
    return *this;
  }
  JsRecord& Null(const char* key) {
    napi_value value = nullptr;
    ok_ = ok_ && napi_get_null(env_, &value) == napi_ok && napi_set_named_property(env_, object_, key, value) == napi_ok;
    return *this;
  }
  JsRecord& Field(const char* key, napi_value value, bool value_ok) {
    ok_ = ok_ && value_ok && napi_set_named_property(env_, object_, key, value) == napi_ok;
    return *this;
  }
  JsRecord& Address(const io::SocketAddress& address) {
    if (address.empty()) return *this;
    return Text("address", address.ip().c_str()).Number("port", address.port());
  }
  bool ok() const { return ok_; }
  napi_value value() const { return object_; }
  /** The object, or undefined when building failed (an exception may be pending). */
  Napi::Value Result() const { return ok_ ? Napi::Value(env_, object_) : Napi::Env(env_).Undefined(); }

 private:
  napi_env env_;
  napi_value object_ = nullptr;
  bool ok_ = false;
};

// An array filled with raw N-API calls, like JsRecord.
class JsList {
 public:
  JsList(napi_env env, size_t length) : env_(env) { ok_ = napi_create_array_with_length(env_, length, &array_) == napi_ok; }
  void Set(uint32_t index, napi_value value, bool value_ok) {
    ok_ = ok_ && value_ok && napi_set_element(env_, array_, index, value) == napi_ok;
  }
  bool ok() const { return ok_; }
  napi_value value() const { return array_; }
  Napi::Value Result() const { return ok_ ? Napi::Value(env_, array_) : Napi::Env(env_).Undefined(); }

 private:
  napi_env env_;
  napi_value array_ = nullptr;
  bool ok_ = false;
};

// A class defined and wrapped with plain N-API: node-addon-api's ObjectWrap aborts the process
// when a method is called while a worker is being terminated. `Wrap` provides a default
// constructor, `bool Init(const Napi::CallbackInfo&)` and `static constexpr const char* kName`.
template <class Wrap>
class RawClass {
 public:
  using MethodPointer = Napi::Value (Wrap::*)(const Napi::CallbackInfo&);

  /** A method descriptor for Define. */
  template <MethodPointer method>
  static napi_property_descriptor Method(const char* name) {
    return napi_property_descriptor{name, nullptr, Trampoline<method>, nullptr, nullptr, nullptr, napi_default, nullptr};
  }

  /** A read-only property descriptor for Define. */
  template <MethodPointer getter>
  static napi_property_descriptor Getter(const char* name) {
    return napi_property_descriptor{name, nullptr, nullptr, Trampoline<getter>, nullptr, nullptr, napi_default, nullptr};
  }

  /** The constructor function, or null. */
  template <size_t count>
  static napi_value Define(napi_env env, const napi_property_descriptor (&methods)[count]) {
    napi_value constructor = nullptr;
    if (napi_define_class(env, Wrap::kName, NAPI_AUTO_LENGTH, Construct, nullptr, count, methods, &constructor) !=
        napi_ok) {
      return nullptr;
    }
    return constructor;
  }

 private:
  template <MethodPointer method>
  static napi_value Trampoline(napi_env env, napi_callback_info info) {
    napi_value self = nullptr;
    void* native = nullptr;
    if (napi_get_cb_info(env, info, nullptr, nullptr, &self, nullptr) != napi_ok) return nullptr;
    if (napi_unwrap(env, self, &native) != napi_ok || native == nullptr) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
        ThrowCoded(env, StatusCode::kInvalidState, std::string("not a ") + Wrap::kName);
      }
      return nullptr;
    }
    const Napi::CallbackInfo call(env, info);
    return (static_cast<Wrap*>(native)->*method)(call);
  }

  static napi_value Construct(napi_env env, napi_callback_info info) {
    const Napi::CallbackInfo call(env, info);
    if (call.NewTarget().IsEmpty()) {
      ThrowCoded(env, StatusCode::kInvalidState, std::string(Wrap::kName) + " is a class: use new");
      return nullptr;
    }
    auto wrap = std::make_unique<Wrap>();
    if (!wrap->Init(call)) return nullptr;
    if (napi_wrap(env, call.This(), wrap.get(), Finalize, nullptr, nullptr) != napi_ok) return nullptr;
    wrap.release();
    return call.This();
  }

  static void Finalize(napi_env, void* native, void*) { delete static_cast<Wrap*>(native); }
};

//

}  // namespace confmix::addon
