"use client";

import { useEffect } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { homeFor, useAuth } from "@/lib/auth";
import { loginSchema } from "@/lib/schemas";
import type { Tokens } from "@/lib/types";
import { useAction } from "@/lib/query";
import { AuthCard } from "@/components/AuthCard";
import { Button, ErrorBox, TextInput } from "@/components/ui";

export default function LoginPage() {
  const { signIn, status, me } = useAuth();
  const router = useRouter();
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(loginSchema),
    defaultValues: { email: "", password: "" },
  });

  useEffect(() => {
    if (status === "authed" && me) router.replace(homeFor(me));
  }, [status, me, router]);

  const login = useAction(
    async (values: { email: string; password: string }) => {
      const res = await api.post<Tokens>("/auth/login", values);
      const user = await signIn(res.data);
      const next = new URLSearchParams(window.location.search).get("next");
      const home = homeFor(user);
      router.replace(next && next.startsWith("/") && !next.startsWith("//") && next.startsWith(home) ? next : home);
    },
    { toastError: false }, // shown in the form
  );
  const error = login.error;
  const onSubmit = handleSubmit((v) => login.run(v));

  return (
    <AuthCard
      title="Log in"
      subtitle="Welcome back to Frontdesk."
      footer={
        <>
          New here?{" "}
          <Link prefetch={false} href="/signup/" className="font-medium text-brand-600 hover:underline">
            Create an account
          </Link>
        </>
      }
    >
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {error && <ErrorBox error={error} />}
        <TextInput label="Email" type="email" autoComplete="email" {...register("email")} error={formState.errors.email?.message} />
        <TextInput
          label="Password"
          type="password"
          autoComplete="current-password"
          {...register("password")}
          error={formState.errors.password?.message}
        />
        <Button type="submit" className="w-full" loading={formState.isSubmitting} data-testid="login-submit">
          Log in
        </Button>
        <p className="text-center text-sm">
          <Link prefetch={false} href="/forgot-password/" className="text-brand-600 hover:underline">
            Forgot your password?
          </Link>
        </p>
      </form>
    </AuthCard>
  );
}
