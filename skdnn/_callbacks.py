"""scikit-learn's callback API (``sklearn.callback``, experimental since 1.9),
or stand-ins that do nothing on older scikit-learn."""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9: no callbacks, nothing breaks

    class _NoCallbackContext:
        def subcontext(self, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False

    class CallbackSupportMixin:
        def _init_callback_context(self, **kwargs):
            return _NoCallbackContext()

    def with_callbacks(method):
        return method


__all__ = ["CallbackSupportMixin", "with_callbacks"]
