"use client";

import { useState } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate, useGet } from "@/lib/hooks";
import { inviteSchema } from "@/lib/schemas";
import { ROLES, type Member, type Team } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Card, Empty, ErrorBox, Loading, PageHeader, Select, Table, TextInput, selectClass, td, th } from "@/components/ui";

export default function TeamPage() {
  const { can, me } = useAuth();
  const { toast, confirm } = useFeedback();
  const team = useGet<Team>("/customer/team");
  const [busy, setBusy] = useState<string | null>(null);
  const manage = can("team:manage");

  const { register, handleSubmit, formState, reset } = useForm({
    resolver: zodResolver(inviteSchema),
    defaultValues: { email: "", role: "member" as (typeof ROLES)[number] },
  });

  const invite = handleSubmit(async (v) => {
    try {
      await api.post("/customer/team/invitations", v);
      toast(`Invitation sent to ${v.email}`, "success");
      reset();
      void team.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  });

  const changeRole = async (m: Member, role: string) => {
    if (role === m.role) return;
    if (m.user_id === me?.id) {
      const ok = await confirm({ title: "Change your own role?", message: `You will become ${role} and may lose access to this page.`, confirmLabel: "Change role" });
      if (!ok) return;
    }
    setBusy(m.user_id);
    try {
      await api.patch(`/customer/team/members/${m.user_id}`, { role });
      toast("Role updated", "success");
      void team.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  };

  const remove = async (m: Member) => {
    const ok = await confirm({ title: `Remove ${m.name || m.email}?`, message: "They will lose access to this business immediately.", confirmLabel: "Remove" });
    if (!ok) return;
    setBusy(m.user_id);
    try {
      await api.delete(`/customer/team/members/${m.user_id}`);
      toast("Member removed", "success");
      void team.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageHeader title="Team" description="Who can use this dashboard." />
      {manage && (
        <Card title="Invite someone" className="mb-5">
          <form onSubmit={invite} className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-start" noValidate>
            <TextInput label="Email" type="email" {...register("email")} error={formState.errors.email?.message} />
            <Select label="Role" {...register("role")} error={formState.errors.role?.message}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
            <div className="sm:pt-6">
              <Button type="submit" loading={formState.isSubmitting} data-testid="team-invite">
                Send invite
              </Button>
            </div>
          </form>
        </Card>
      )}
      {team.error && <ErrorBox message={team.error} onRetry={() => void team.reload()} />}
      {team.loading && !team.data && <Loading />}
      {team.data && (
        <div className="space-y-5">
          <Table>
            <thead>
              <tr>
                <th className={th}>Member</th>
                <th className={th}>Role</th>
                <th className={th}>Joined</th>
                <th className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {team.data.members.map((m) => (
                <tr key={m.user_id} data-testid="member-row" data-user-id={m.user_id}>
                  <td className={td}>
                    <p className="font-medium text-slate-900">
                      {m.name || m.email} {m.user_id === me?.id && <Badge>you</Badge>}
                    </p>
                    <p className="text-xs text-slate-500">{m.email}</p>
                  </td>
                  <td className={td}>
                    {manage ? (
                      <select
                        name="role"
                        aria-label={`Role of ${m.email}`}
                        className={selectClass}
                        value={m.role}
                        disabled={busy === m.user_id}
                        onChange={(e) => void changeRole(m, e.target.value)}
                        data-testid="member-role"
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <Badge>{m.role}</Badge>
                    )}
                  </td>
                  <td className={td + " whitespace-nowrap"}>{formatDate(m.joined_at)}</td>
                  <td className={td + " text-right"}>
                    {manage && m.user_id !== me?.id && (
                      <Button variant="secondary" size="sm" onClick={() => void remove(m)} disabled={busy === m.user_id} data-testid="member-remove" data-user-id={m.user_id}>
                        Remove
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Card title="Pending invitations">
            {team.data.invitations.length === 0 ? (
              <Empty title="No pending invitations" />
            ) : (
              <ul className="divide-y divide-slate-100 text-sm">
                {team.data.invitations.map((i) => (
                  <li key={i.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span>
                      {i.email} <Badge>{i.role}</Badge>
                    </span>
                    <span className="text-xs text-slate-500">expires {formatDate(i.expires_at)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
