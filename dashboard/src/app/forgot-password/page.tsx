"use client";

import { useState } from "react";
import Link from "next/link";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { forgotSchema } from "@/lib/schemas";
import { useAction } from "@/lib/query";
import { AuthCard } from "@/components/AuthCard";
import { Button, ErrorBox, TextInput } from "@/components/ui";

export default function ForgotPasswordPage() {
  const [sent, setSent] = useState(false);
  const { register, handleSubmit, formState } = useForm({ resolver: zodResolver(forgotSchema), defaultValues: { email: "" } });
  const forgot = useAction((v: { email: string }) => api.post("/auth/password/forgot", v), { toastError: false, onSuccess: () => setSent(true) });
  const error = forgot.error;
  const onSubmit = handleSubmit((v) => forgot.run(v));
  return (
    <AuthCard
      title="Reset your password"
      footer={
        <Link prefetch={false} href="/login/" className="text-brand-600 hover:underline">
          Back to log in
        </Link>
      }
    >
      {sent ? (
        <p className="text-sm text-slate-700" role="status">
          If an account exists for that email, a reset link is on its way.
        </p>
      ) : (
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          {error && <ErrorBox error={error} />}
          <TextInput label="Email" type="email" autoComplete="email" {...register("email")} error={formState.errors.email?.message} />
          <Button type="submit" className="w-full" loading={formState.isSubmitting} data-testid="forgot-submit">
            Send reset link
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
