package gateway

import (
	"context"
	"net/netip"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/iampolicy"
)

// resourcePolicy is the pipeline's resource policy step: the deployed
// policy of the API (iampolicy, the evaluator authorizer policies use) is
// evaluated for execute-api:Invoke on the request's method ARN, with
// aws:SourceIp the client address (clientIP, honouring trusted proxies),
// aws:Referer and aws:UserAgent the headers. As AWS's evaluation table
// says:
//   - an explicit Deny refuses (before any authorizer is invoked);
//   - an Allow lets the request on (an authorizer still runs, and its
//     explicit Deny still refuses; its silence does not);
//   - no statement: refused, unless the method has a Lambda authorizer,
//     whose policy then decides alone.
//
// An API key is no authorization type: a method requiring one is
// evaluated as a method without an authorizer, and the key is checked
// after. It does not allocate when the request passes.
func (g *Gateway) resourcePolicy(_ context.Context, rq *request) *Decision {
	st := rq.stage
	p := st.Policy
	if p == nil {
		if st.PolicyErr != nil {
			return refuse(ReasonResourcePolicyInvalid, st.PolicyErr.Error()+"; every request to stage "+st.Name+" is refused until it is fixed and the API redeployed")
		}
		return nil
	}
	var in iampolicy.Request
	rq.arnBuf, in.APIPrefix = authorizer.AppendMethodARN(rq.arnBuf[:0], g.region, g.accountID, rq.api.ID, st.Name, rq.r.Method, rq.target.path)
	in.ARN = rq.arnBuf
	ip := clientIP(rq.r, rq.trusted)
	in.SourceIP, _ = netip.ParseAddr(ip)
	if v := rq.r.Header["Referer"]; len(v) > 0 {
		in.Referer = v[0]
	}
	if v := rq.r.Header["User-Agent"]; len(v) > 0 {
		in.UserAgent = v[0]
	}
	effect, i := p.Evaluate(&in)
	switch effect {
	case iampolicy.Deny:
		d := refuse(ReasonResourcePolicyDenied, policyDetail(rq, p, i, "explicitly denies", ip))
		d.Message = policyMessage(rq.arnBuf, true)
		return d
	case iampolicy.Allow:
		rq.policyAllowed = true
		if rq.trace != nil {
			rq.note = append(rq.note, policyDetail(rq, p, i, "allows", ip))
		}
		return nil
	}
	if m := rq.match.Method; m != nil && m.AuthorizationType == apigw.AuthCustom {
		if rq.trace != nil {
			rq.note = append(rq.note, "no statement of the API's resource policy covers "+string(rq.arnBuf)+" from "+ip+": authorizer "+m.AuthorizerID+"'s policy decides alone (it must allow)")
		}
		return nil
	}
	d := refuse(ReasonResourcePolicyNotAllowed, "no Allow statement of the API's resource policy (deployment "+st.DeploymentID+") covers "+string(rq.arnBuf)+" from source IP "+ip+requestHeadersDetail(&in)+", and the method has no Lambda authorizer to allow it")
	d.Message = policyMessage(rq.arnBuf, false)
	return d
}

// policyDetail names the statement that decided, for the operator.
func policyDetail(rq *request, p *iampolicy.Policy, i int, verb, ip string) string {
	return p.Statement(i) + " of the API's resource policy (deployment " + rq.stage.DeploymentID + ") " + verb + " " + string(rq.arnBuf) + " from source IP " + ip
}

func requestHeadersDetail(in *iampolicy.Request) string {
	s := ""
	if in.Referer != "" {
		s += ", Referer " + quote(in.Referer)
	}
	if in.UserAgent != "" {
		s += ", User-Agent " + quote(clip(in.UserAgent, 128))
	}
	return s
}

// policyMessage is AWS's message for a resource policy refusal.
func policyMessage(arn []byte, explicit bool) string {
	m := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + string(arn)
	if explicit {
		m += " with an explicit deny"
	}
	return m
}
