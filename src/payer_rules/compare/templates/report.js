(function(){
  var q=document.getElementById('filter-text'), p=document.getElementById('filter-payer'),
      s=document.getElementById('filter-status'), rows=document.querySelectorAll('#differences tbody tr');
  function apply(){
    var text=q.value.toLowerCase(), payer=p.value, status=s.value, shown=0;
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)
        &&(!payer||r.dataset.payer===payer)&&(!status||r.dataset.status===status);
      r.style.display=ok?'':'none'; if(ok){shown++;}
    });
    document.getElementById('shown-count').textContent=shown;
  }
  [q,p,s].forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
  apply();
  var drawn=0; document.querySelectorAll('svg.chart rect.bar').forEach(function(b){
    var box=b.getBBox(); if(box.width>0&&box.height>0){drawn++;}});
  document.body.setAttribute('data-bars-drawn', String(drawn));
})();
