"use client";

import { useState } from "react";
import Link from "next/link";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useQueryParam } from "@/lib/hooks";
import { resetSchema } from "@/lib/schemas";
import { useAction } from "@/lib/query";
import { AuthCard } from "@/components/AuthCard";
import { Button, ErrorBox, Loading, TextInput } from "@/components/ui";

export default function ResetPasswordPage() {
  const token = useQueryParam("token");
  const [done, setDone] = useState(false);
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(resetSchema),
    defaultValues: { password: "", confirm: "" },
  });
  const reset = useAction((password: string) => api.post("/auth/password/reset", { token, password }), { toastError: false, onSuccess: () => setDone(true) });
  const error = reset.error;
  const onSubmit = handleSubmit((v) => reset.run(v.password));
  return (
    <AuthCard title="Choose a new password">
      {token === undefined ? (
        <Loading />
      ) : !token ? (
        <ErrorBox error="This reset link is missing its token. Request a new one." />
      ) : done ? (
        <p className="text-sm text-slate-700" role="status">
          Your password was changed.{" "}
          <Link prefetch={false} href="/login/" className="font-medium text-brand-600 hover:underline">
            Log in
          </Link>
        </p>
      ) : (
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          {error && <ErrorBox error={error} />}
          <TextInput label="New password" type="password" autoComplete="new-password" {...register("password")} error={formState.errors.password?.message} />
          <TextInput label="Confirm password" type="password" autoComplete="new-password" {...register("confirm")} error={formState.errors.confirm?.message} />
          <Button type="submit" className="w-full" loading={formState.isSubmitting} data-testid="reset-submit">
            Set password
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
