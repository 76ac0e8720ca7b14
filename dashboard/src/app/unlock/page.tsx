"use client";

import { useEffect, useRef, useState } from "react";
import Link from "next/link";
import { api, toApiError, type ApiError } from "@/lib/api";
import { useQueryParam } from "@/lib/hooks";
import { AuthCard } from "@/components/AuthCard";
import { ErrorBox, Loading } from "@/components/ui";

/** The emailed unlock link: after repeated wrong passwords, sign-ins to the account wait; this ends the wait. */
export default function UnlockPage() {
  const token = useQueryParam("token");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    api
      .post("/auth/unlock", { token })
      .then(() => setDone(true))
      .catch((e: unknown) => setError(toApiError(e)));
  }, [token]);
  return (
    <AuthCard title="Sign in again">
      {token === undefined ? (
        <Loading />
      ) : !token ? (
        <ErrorBox error="This unlock link is missing its token." />
      ) : error ? (
        <ErrorBox error={error} />
      ) : done ? (
        <p className="text-sm text-slate-700" role="status" data-testid="unlock-done">
          Sign-ins to your account no longer wait.{" "}
          <Link prefetch={false} href="/login/" className="font-medium text-brand-600 hover:underline">
            Log in
          </Link>
        </p>
      ) : (
        <Loading />
      )}
    </AuthCard>
  );
}
