"use client";

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { toApiError, type ApiError } from "@/lib/api";
import { BillingLink, Button, Dialog, cx } from "./ui";

type ToastKind = "success" | "error" | "info";
interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  /** the failure an error toast reports (a billing problem gets a link to Billing) */
  error?: ApiError;
}

interface ConfirmOptions {
  title: string;
  message?: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
}

interface FeedbackApi {
  toast: (message: string, kind?: ToastKind) => void;
  /** The error toast of a failure: its message, and a link to Billing for a billing problem. */
  toastError: (err: unknown) => void;
  confirm: (opts: ConfirmOptions) => Promise<boolean>;
}

const FeedbackContext = createContext<FeedbackApi | null>(null);

export function FeedbackProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [pending, setPending] = useState<ConfirmOptions | null>(null);
  const resolver = useRef<((v: boolean) => void) | null>(null);
  const nextId = useRef(1);

  const show = useCallback((t: Omit<Toast, "id">) => {
    const id = nextId.current++;
    setToasts((all) => [...all, { ...t, id }]);
    setTimeout(() => setToasts((all) => all.filter((x) => x.id !== id)), t.kind === "error" ? 7000 : 3500);
  }, []);
  const toast = useCallback((message: string, kind: ToastKind = "info") => show({ kind, message }), [show]);
  const toastError = useCallback(
    (err: unknown) => {
      const error = toApiError(err);
      show({ kind: "error", message: error.message, error });
    },
    [show],
  );

  const confirm = useCallback((opts: ConfirmOptions) => {
    setPending(opts);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
    });
  }, []);

  const close = useCallback((v: boolean) => {
    resolver.current?.(v);
    resolver.current = null;
    setPending(null);
  }, []);

  const value = useMemo(() => ({ toast, toastError, confirm }), [toast, toastError, confirm]);

  return (
    <FeedbackContext.Provider value={value}>
      {children}
      <Dialog
        open={!!pending}
        title={pending?.title ?? ""}
        onClose={() => close(false)}
        footer={
          <>
            <Button variant="secondary" onClick={() => close(false)} data-testid="confirm-no">
              Cancel
            </Button>
            <Button variant={pending?.danger === false ? "primary" : "danger"} onClick={() => close(true)} data-testid="confirm-yes">
              {pending?.confirmLabel ?? "Confirm"}
            </Button>
          </>
        }
      >
        {pending?.message}
      </Dialog>
      <div className="pointer-events-none fixed inset-x-0 bottom-0 z-[60] flex flex-col items-center gap-2 p-3 sm:items-end" aria-live="polite">
        {toasts.map((t) => (
          <div
            key={t.id}
            role={t.kind === "error" ? "alert" : "status"}
            data-testid={`toast-${t.kind}`}
            className={cx(
              "pointer-events-auto w-full max-w-sm rounded-md px-4 py-3 text-sm shadow-lg",
              t.kind === "error" && "bg-red-600 text-white",
              t.kind === "success" && "bg-emerald-600 text-white",
              t.kind === "info" && "bg-slate-800 text-white",
            )}
          >
            {t.message}
            <BillingLink error={t.error} className="ml-2 font-medium underline" />
          </div>
        ))}
      </div>
    </FeedbackContext.Provider>
  );
}

export function useFeedback(): FeedbackApi {
  const ctx = useContext(FeedbackContext);
  if (!ctx) throw new Error("useFeedback outside FeedbackProvider");
  return ctx;
}
