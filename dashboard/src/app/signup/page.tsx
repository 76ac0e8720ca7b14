"use client";

import { type FormEvent, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, PK_STORAGE } from "@/lib/api";
import { useAction } from "@/lib/query";
import { useAuth } from "@/lib/auth";
import { useQueryParam } from "@/lib/hooks";
import { signupSchema } from "@/lib/schemas";
import type { SignupOut } from "@/lib/types";
import { AuthCard } from "@/components/AuthCard";
import { Button, ErrorBox, SecretValue, TextInput } from "@/components/ui";

export default function SignupPage() {
  const { signIn } = useAuth();
  const router = useRouter();
  const [created, setCreated] = useState<SignupOut | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  // the emailed link (/signup/?token=…) finishes the sign-up once its password is entered again:
  // opening a link someone else requested for this address creates nothing
  const token = useQueryParam("token");
  const [confirmPassword, setConfirmPassword] = useState("");
  const confirm = useAction(
    async (v: { token: string; password: string }) => {
      const res = await api.post<SignupOut>("/auth/signup/confirm", v);
      await signIn(res.data);
      if (res.data.publishable_key) window.sessionStorage.setItem(PK_STORAGE, res.data.publishable_key);
      setCreated(res.data);
    },
    { toastError: false }, // shown in the form
  );
  const confirming = confirm.isPending;
  const onConfirm = (e: FormEvent) => {
    e.preventDefault();
    if (token && !confirming) confirm.mutate({ token, password: confirmPassword });
  };
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(signupSchema),
    defaultValues: { business_name: "", name: "", email: "", password: "", website: "" },
  });

  const signup = useAction((body: Record<string, string>) => api.post("/auth/signup", body), {
    toastError: false, // shown in the form
    onSuccess: (_, body) => setSentTo(body.email),
  });
  const error = confirm.error ?? signup.error;
  const onSubmit = handleSubmit((v) => {
    const body: Record<string, string> = { business_name: v.business_name, email: v.email, password: v.password };
    if (v.name) body.name = v.name;
    if (v.website) body.website = v.website;
    return signup.run(body);
  });

  if (created) {
    return (
      <AuthCard title="Your account is ready" subtitle="Save these keys now — they are shown only once.">
        <div className="space-y-4 text-sm">
          <div>
            <p className="mb-1 font-medium text-slate-700">Secret key (server-side API calls)</p>
            <SecretValue value={created.secret_key} testId="signup-secret-key" />
          </div>
          {created.publishable_key ? (
            <div>
              <p className="mb-1 font-medium text-slate-700">Publishable key (website widget)</p>
              <SecretValue value={created.publishable_key} testId="signup-publishable-key" />
            </div>
          ) : (
            <p className="text-slate-500">No website was given, so no publishable key was created. You can create one during setup.</p>
          )}
          <Button className="w-full" onClick={() => router.push("/onboarding/")} data-testid="signup-continue">
            I saved them — continue setup
          </Button>
        </div>
      </AuthCard>
    );
  }

  if (token) {
    return (
      <AuthCard title="Finish creating your account" subtitle="Enter the password you chose when you signed up.">
        <form onSubmit={onConfirm} className="space-y-4" noValidate>
          {error && <ErrorBox error={error} />}
          <TextInput
            label="Password"
            type="password"
            name="confirm_password"
            autoComplete="current-password"
            value={confirmPassword}
            onChange={(e) => setConfirmPassword(e.target.value)}
          />
          <Button type="submit" className="w-full" loading={confirming} data-testid="signup-confirm">
            Create my workspace
          </Button>
          <p className="text-xs text-slate-500">
            Didn&apos;t sign up? Ignore this page and the email: nothing is created without the password.
          </p>
        </form>
      </AuthCard>
    );
  }

  if (sentTo) {
    return (
      <AuthCard title="Check your email" subtitle="One more step to create your account.">
        <p className="text-sm text-slate-700" role="status" data-testid="signup-sent">
          We sent a link to <span className="font-medium">{sentTo}</span>. Open it within 24 hours to create your
          workspace and see its API keys. Already have an account? The email says how to sign in.
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Create your account"
      subtitle="Set up an AI front desk for your business in minutes."
      footer={
        <>
          Already have an account?{" "}
          <Link prefetch={false} href="/login/" className="font-medium text-brand-600 hover:underline">
            Log in
          </Link>
        </>
      }
    >
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {error && <ErrorBox error={error} />}
        <TextInput label="Business name" autoComplete="organization" {...register("business_name")} error={formState.errors.business_name?.message} />
        <TextInput label="Your name (optional)" autoComplete="name" {...register("name")} error={formState.errors.name?.message} />
        <TextInput label="Email" type="email" autoComplete="email" {...register("email")} error={formState.errors.email?.message} />
        <TextInput
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
          {...register("password")}
          error={formState.errors.password?.message}
        />
        <TextInput
          label="Website (optional)"
          type="url"
          placeholder="https://shop.example.com"
          hint="Your site's origin — we'll create a widget key for it."
          {...register("website")}
          error={formState.errors.website?.message}
        />
        <Button type="submit" className="w-full" loading={formState.isSubmitting} data-testid="signup-submit">
          Create account
        </Button>
      </form>
    </AuthCard>
  );
}
